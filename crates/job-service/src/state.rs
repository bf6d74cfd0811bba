// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What the API handlers and the workers of one process share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use job_core::Project;
use job_core::{JobId, JobStore};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

// Its home is `crate::metrics`; handlers name it from here too.
pub use crate::metrics::Metrics;

pub struct AppState {
    pub store: Arc<dyn JobStore>,
    pub project: Project,
    pub data_dir: PathBuf,
    pub ansible_playbook: PathBuf,
    /// Extra vars go to ansible-playbook as trusted JSON, templates rendered (operator opt-in).
    pub allow_templates_in_extra_vars: bool,
    pub grace: Duration,
    /// The longest event line a run's reader keeps (`--event-line-max`).
    pub event_line_max: usize,
    /// The soft open-file limit a run starts with, when the process raised its own.
    pub child_open_files: Option<u64>,
    /// `--pass-env`: names and patterns added to the playbook environment's allow-list.
    pub pass_env: Vec<String>,
    /// A pending job arrived: one idle worker should look.
    pub wake: Notify,
    /// Bumped on every change of a job's state or events; `?wait` and SSE watch it.
    pub changes: watch::Sender<u64>,
    /// The runs of this process, to cancel them.
    pub runs: Mutex<HashMap<JobId, RunHandle>>,
    /// The shutdown signal arrived: requests held open (`?wait`, `?sync`, event streams) answer
    /// at once, so that the HTTP side can close and the runs get their grace.
    pub closing: CancellationToken,
    /// Workers stop taking jobs once this is canceled.
    pub stopping: CancellationToken,
    /// The workers have drained: heartbeats and the reaper of this process end.
    pub stopped: CancellationToken,
    pub metrics: Metrics,
}

/// How to stop one run of this process.
#[derive(Clone, Default)]
pub struct RunHandle {
    pub cancel: CancellationToken,
    /// Set before `cancel` when the job is no longer this worker's (its lease ran out): the run
    /// then ends `failed`, reason `lost`, not `canceled`.
    pub lost: Arc<AtomicBool>,
}

/// What a process is given to run jobs; the API's own settings are `api::ApiConfig`.
pub struct Setup {
    pub store: Arc<dyn JobStore>,
    pub project: Project,
    pub data_dir: PathBuf,
    pub ansible_playbook: PathBuf,
    pub allow_templates_in_extra_vars: bool,
    pub grace: Duration,
    pub event_line_max: usize,
    pub child_open_files: Option<u64>,
}

impl AppState {
    pub fn new(setup: Setup) -> Self {
        Self {
            store: setup.store,
            project: setup.project,
            data_dir: setup.data_dir,
            ansible_playbook: setup.ansible_playbook,
            allow_templates_in_extra_vars: setup.allow_templates_in_extra_vars,
            grace: setup.grace,
            event_line_max: setup.event_line_max,
            child_open_files: setup.child_open_files,
            pass_env: Vec::new(),
            wake: Notify::new(),
            changes: watch::channel(0).0,
            runs: Mutex::default(),
            closing: CancellationToken::new(),
            stopping: CancellationToken::new(),
            stopped: CancellationToken::new(),
            metrics: Metrics::default(),
        }
    }

    pub fn with_pass_env(mut self, pass_env: Vec<String>) -> Self {
        self.pass_env = pass_env;
        self
    }

    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn cancel_run(&self, id: JobId) -> bool {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        match runs.get(&id) {
            Some(run) => {
                run.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Stops a run whose job this process no longer holds; it ends `failed`, reason `lost`.
    pub fn lose_run(&self, id: JobId) {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(run) = runs.get(&id) {
            run.lost.store(true, Ordering::SeqCst);
            run.cancel.cancel();
        }
    }

    pub fn running(&self) -> Vec<JobId> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.keys().copied().collect()
    }
}
