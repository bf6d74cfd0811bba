// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What the API handlers and the workers of one process share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use job_core::validate::Project;
use job_core::{JobId, Store};
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub project: Project,
    pub data_dir: PathBuf,
    pub ansible_playbook: PathBuf,
    /// The bearer token, when one is required.
    pub token: Option<Vec<u8>>,
    pub sync_max: Duration,
    pub grace: Duration,
    /// A pending job arrived: one idle worker should look.
    pub wake: Notify,
    /// Bumped on every change of a job's state or events; `?wait` and SSE watch it.
    pub changes: watch::Sender<u64>,
    /// The runs of this process, to cancel them.
    pub runs: Mutex<HashMap<JobId, CancellationToken>>,
    /// Workers stop claiming once this is canceled.
    pub stopping: CancellationToken,
    pub metrics: Metrics,
}

#[derive(Default)]
pub struct Metrics {
    pub submitted: AtomicU64,
    pub attached: AtomicU64,
    pub conflicts: AtomicU64,
    pub refused: AtomicU64,
    pub started: AtomicU64,
    pub running: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

impl AppState {
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn cancel_run(&self, id: JobId) -> bool {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        match runs.get(&id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}
