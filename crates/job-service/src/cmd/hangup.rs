// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! SIGHUP must never end the service: its default action is to terminate, and an operator (or
//! systemd's `ExecReload=`) may send it at any moment, start-up included. Taking the signal is
//! the first thing main does, once the runtime exists; tokio keeps its handler installed for the
//! life of the process once asked (the stream may be dropped), and the reloads registered later
//! (tokens, TLS) receive the signal too.

use tokio::signal::unix::{signal, SignalKind};

use crate::CommandError;

/// Takes SIGHUP from now on; with `log_each`, logs it at each one (`worker` has nothing to
/// reload, and says so).
pub fn take(log_each: Option<&'static str>) -> Result<(), CommandError> {
    let mut hup = signal(SignalKind::hangup())
        .map_err(|e| CommandError::Runtime(format!("cannot handle SIGHUP: {e}")))?;
    if let Some(what) = log_each {
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                tracing::info!("SIGHUP: {what}");
            }
        });
    }
    Ok(())
}
