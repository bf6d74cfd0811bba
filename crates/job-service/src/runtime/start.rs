// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The one start-up path of `serve` and `worker`: open the store, recover what a crash left,
//! write the callback, then start the workers and, with a shared store, the lease, the reaper
//! and the store's health watch; on the stop signal, drain. `serve` puts HTTP on top, between
//! [`Runtime::open`] and [`Runtime::start`] (it binds its listener there, so that a port in use
//! is found before any job is taken).

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use job_core::store::{OpenOptions, Opened};
use job_core::JobStore;

use crate::cmd::setup::{self, Common, StoreChoice};
use crate::runtime::lease::{self, Rhythm};
use crate::runtime::pool::Pool;
use crate::runtime::{callback, orphans};
use crate::state::{AppState, Setup};
use crate::CommandError;

/// What a process needs to run jobs, every flag already checked.
pub struct Plan {
    pub common: Common,
    pub store: StoreChoice,
    pub open: OpenOptions,
    /// How often a shared store's health is checked (`--redis-check-every`).
    pub check_every: Duration,
    pub allow_templates_in_extra_vars: bool,
    pub grace: Duration,
    pub event_line_max: usize,
    pub child_open_files: Option<u64>,
}

/// A process's store, state and workers, from start to drain.
pub struct Runtime {
    pub state: Arc<AppState>,
    /// The store as it may be printed (no password).
    pub store_name: String,
    callback_dir: PathBuf,
    lease: Duration,
    check_every: Duration,
    pool: Option<Pool>,
    /// Held until the drain ends: the store's own lock (embedded) lives in it.
    _opened: Opened,
    /// The embedded store's data dir is one process's (`<data-dir>/lock`).
    _dir_lock: Option<nix::fcntl::Flock<File>>,
}

impl Runtime {
    /// Opens the store, ends what the last process left running, sweeps this machine's orphaned
    /// runs and writes the callback plugin; `state` makes the process's state from the
    /// [`Setup`] (the API adds its own settings there). Nothing runs yet.
    pub async fn open(
        plan: Plan,
        state: impl FnOnce(Setup) -> AppState,
    ) -> Result<Self, CommandError> {
        let data_dir = plan.common.data_dir.clone();
        let dir_lock = if plan.store.url.shared() {
            None
        } else {
            Some(setup::lock_data_dir(&data_dir)?)
        };
        let opened = setup::open_store(&plan.store, plan.open).await?;
        let recovered = recover(&opened.store, plan.grace).await?;
        let grace = plan.grace;
        let jobs_dir = data_dir.join("jobs");
        let _ = tokio::task::spawn_blocking(move || orphans::sweep(&jobs_dir, grace)).await;
        let callback_dir = callback::install(&data_dir).map_err(|e| {
            CommandError::Runtime(format!("cannot write the job_events callback: {e}"))
        })?;
        let setup = Setup {
            store: opened.store.clone(),
            project: plan.common.project,
            data_dir,
            ansible_playbook: plan.common.ansible_playbook,
            allow_templates_in_extra_vars: plan.allow_templates_in_extra_vars,
            grace,
            event_line_max: plan.event_line_max,
            child_open_files: plan.child_open_files,
        };
        let state = Arc::new(state(setup));
        // The log line and the metrics of each job recovery ended, once the metrics exist.
        for id in recovered {
            if let Ok(Some(job)) = state.store.get(id).await {
                crate::transitions::ended(&state.metrics, &job);
            }
        }
        Ok(Self {
            state,
            store_name: plan.store.url.redacted(),
            callback_dir,
            lease: plan.open.lease,
            check_every: plan.check_every,
            pool: None,
            _opened: opened,
            _dir_lock: dir_lock,
        })
    }

    /// Starts the workers named `workers`; with a shared store also their heartbeat, the
    /// reaper's turn (as `reaper`), the orphan sweep and the health watch.
    pub fn start(&mut self, workers: Vec<String>, reaper: String) -> Result<(), CommandError> {
        let pool = Pool::start(&self.state, workers.clone(), &self.callback_dir)?;
        self.pool = Some(pool);
        if self.state.store.shared() {
            lease::watch_health(self.state.clone(), self.check_every);
            lease::spawn(
                self.state.clone(),
                workers,
                reaper,
                Rhythm::for_lease(self.lease),
            );
        }
        Ok(())
    }

    /// `?wait` and event streams of this process wake up when another process changes a job
    /// (a store of one process has nobody else to hear from).
    pub fn watch_changes(&self) {
        let weak: Weak<AppState> = Arc::downgrade(&self.state);
        self.state.store.watch_changes(Arc::new(move |_| {
            if let Some(s) = weak.upgrade() {
                s.changed();
            }
        }));
    }

    /// Stops taking jobs, gives the runs their grace, then ends the background loops; the
    /// store's locks go last.
    pub async fn drain(self) {
        if let Some(pool) = self.pool {
            pool.drain(&self.state, self.state.grace).await;
        }
    }
}

/// Running jobs of the last process end `failed`, reason `lost`, and what is left of their runs
/// is killed. A shared store has nothing to recover here: its reaper ends a dead worker's jobs.
/// Returns the jobs it ended.
async fn recover(
    store: &Arc<dyn JobStore>,
    grace: Duration,
) -> Result<Vec<job_core::JobId>, CommandError> {
    let lost = store
        .recover()
        .await
        .map_err(|e| CommandError::Runtime(format!("recovering the store: {e}")))?;
    let mut ended = Vec::new();
    for l in lost {
        ended.push(l.id);
        tracing::warn!(job = %l.id, "was running when the service stopped: failed, reason lost");
        if let Some((pid, start)) = l.pid {
            let killed = tokio::task::spawn_blocking(move || {
                job_runner::kill_group_if_same(pid, start, grace)
            })
            .await
            .unwrap_or(false);
            if killed {
                tracing::warn!(job = %l.id, pid, "killed what was left of its run");
            }
        }
    }
    Ok(ended)
}
