// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A process's workers: started on a runtime of their own, drained on SIGTERM. `serve` and
//! `worker` both use it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::worker;
use crate::state::AppState;
use crate::CommandError;

pub struct Pool {
    runtime: tokio::runtime::Runtime,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    names: Vec<String>,
}

impl Pool {
    pub fn start(
        state: &Arc<AppState>,
        names: Vec<String>,
        callback_dir: &Path,
    ) -> Result<Self, CommandError> {
        // Spawning ansible-playbook forks inside the runtime's thread; on a busy machine that
        // must not hold up the threads answering HTTP.
        // One thread per worker (up to 4): the fork of a large process and the file work of a
        // job block the thread that does them, and with one thread for all, four workers ran
        // one job at a time between runs (docs/performance.md).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(names.len().clamp(1, 4))
            .thread_name("ajs-worker")
            .enable_all()
            .build()
            .map_err(|e| {
                CommandError::Runtime(format!("cannot start the workers' runtime: {e}"))
            })?;
        state
            .metrics
            .workers
            .set(i64::try_from(names.len()).unwrap_or(i64::MAX));
        let tasks = names
            .iter()
            .map(|name| {
                runtime.spawn(worker::run(
                    state.clone(),
                    name.clone(),
                    callback_dir.to_path_buf(),
                ))
            })
            .collect();
        Ok(Self {
            runtime,
            tasks,
            names,
        })
    }

    /// Stop taking jobs at once; give running playbooks the grace to end, then stop them: they
    /// end `failed`, reason `lost`, which is what a restart would have made of them anyway.
    /// A queued job stays in the queue for the next worker.
    pub async fn drain(self, state: &Arc<AppState>, grace: Duration) {
        let active = state.running().len();
        if active > 0 {
            tracing::warn!(active, "stopping: waiting {grace:?} for running playbooks");
        }
        state.stopping.cancel();
        let all = futures_util::future::join_all(self.tasks);
        tokio::pin!(all);
        let ended = tokio::select! {
            _ = &mut all => true,
            _ = tokio::time::sleep(grace) => false,
        };
        if !ended {
            for id in state.running() {
                state.cancel_run(id);
            }
            all.await;
        }
        for name in &self.names {
            if let Err(e) = state.store.leave(name).await {
                tracing::warn!(worker = %name, error = %e, "could not leave the worker registry; the reaper will");
            }
        }
        state.stopped.cancel();
        self.runtime.shutdown_background();
    }
}

/// SIGTERM or SIGINT.
///
/// The handlers are registered when this is called, not when the future is first polled: a
/// SIGTERM right after systemd's READY=1, before the accept loop runs, must drain, not kill.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let handlers = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    );
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    }
}
