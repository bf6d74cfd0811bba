// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! systemd readiness for `Type=notify` units (packaging/systemd/ansible-job-service.service).
//!
//! systemd starts units ordered `After=ansible-job-service.service` only once READY=1 arrives, so
//! it must not be sent before the listener is bound (a client started next would be refused) nor
//! before the store is open. STOPPING=1 goes out when the shutdown begins, so that `systemctl
//! status` says "deactivating" for the whole drain (running playbooks get their grace) instead of
//! "active". Outside systemd ($NOTIFY_SOCKET unset) this does nothing.

use std::sync::Arc;

use sd_notify::NotifyState;

use crate::state::AppState;

/// Tells systemd the process is ready, with `status` for `systemctl status`, and that it stops
/// as soon as `state` starts closing or draining. Call once, when the process serves.
pub fn ready(state: &Arc<AppState>, status: &str) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
    let state = state.clone();
    tokio::spawn(async move {
        // `serve` cancels `closing` at the signal; `worker` has no HTTP side and only drains.
        tokio::select! {
            _ = state.closing.cancelled() => {}
            _ = state.stopping.cancelled() => {}
        }
        send(&[NotifyState::Stopping, NotifyState::Status("draining")]);
    });
}

fn send(states: &[NotifyState<'_>]) {
    // The socket is systemd's; an error here never stops the service, it only delays systemd's
    // view of it (a start then ends at TimeoutStartSec=): worth a warning, not a failure.
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!(error = %e, "could not notify systemd ($NOTIFY_SOCKET)");
    }
}
