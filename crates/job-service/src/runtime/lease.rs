// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! With a shared store (Redis), the workers of many processes on many machines share one queue, and any of them
//! may die, or lose its link, at any time. This keeps a process's side of the bargain: it renews
//! its workers' leases, stops the runs the store no longer gives it, stops every run by itself
//! once it could not renew for a whole lease (the reaper elsewhere ends those jobs `lost` then,
//! and a cut-off worker must not go on running them), and takes its turn at the reaper.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use job_core::JobStoreError;

use crate::runtime::orphans;
use crate::state::AppState;

/// How often a process heartbeats and reaps, for a lease.
#[derive(Clone, Copy, Debug)]
pub struct Rhythm {
    pub lease: Duration,
    pub beat: Duration,
    pub reap: Duration,
}

impl Rhythm {
    /// Beat ≤ 1 s (it also carries cancels), reap ≤ 5 s: a dead worker's job ends within
    /// lease + reap (35 s by default).
    pub fn for_lease(lease: Duration) -> Self {
        Self {
            lease,
            beat: (lease / 5).min(Duration::from_secs(1)),
            reap: (lease / 3).min(Duration::from_secs(5)),
        }
    }
}

pub fn spawn(state: Arc<AppState>, workers: Vec<String>, me: String, rhythm: Rhythm) {
    tokio::spawn(beat(state.clone(), workers, rhythm));
    tokio::spawn(reap(state.clone(), me, rhythm));
    tokio::spawn(sweep(state, rhythm));
}

async fn beat(state: Arc<AppState>, workers: Vec<String>, rhythm: Rhythm) {
    let mut renewed = Instant::now();
    let mut fenced = false;
    loop {
        let sent = Instant::now();
        let running = state.running();
        if workers.is_empty() && running.is_empty() {
            renewed = sent;
        } else {
            // A Redis that hangs (stopped, a link dropping packets) must not hold up the check
            // below: a call gets a quarter of the lease.
            let call = state.store.heartbeat(&workers, &running);
            match tokio::time::timeout(rhythm.lease / 4, call)
                .await
                .unwrap_or(Err(JobStoreError::Timeout(rhythm.lease / 4)))
            {
                Ok(beat) => {
                    renewed = sent;
                    if fenced {
                        tracing::warn!("the store answers again; taking jobs again");
                        fenced = false;
                    }
                    for id in beat.cancel {
                        state.cancel_run(id);
                    }
                    for id in beat.gone {
                        tracing::warn!(job = %id, "the job is no longer ours (its lease ran out): stopping its run");
                        state.lose_run(id);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "heartbeat failed");
                }
            }
        }
        // The lease counts from when the last renewal was sent; Redis received it later, so
        // stopping now is never later than the reaper's verdict.
        if renewed.elapsed() >= rhythm.lease {
            let running = state.running();
            if !running.is_empty() || !fenced {
                tracing::error!(
                    runs = running.len(),
                    "no heartbeat for a whole lease: stopping this worker's runs (their jobs are lost)"
                );
            }
            fenced = true;
            for id in running {
                state.lose_run(id);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(rhythm.beat) => {}
            _ = state.stopped.cancelled() => return,
        }
    }
}

async fn reap(state: Arc<AppState>, me: String, rhythm: Rhythm) {
    loop {
        match state.store.reap(&me).await {
            Ok(lost) => {
                for id in &lost {
                    tracing::warn!(job = %id, "its worker stopped renewing its lease: failed, reason lost");
                    if let Ok(Some(job)) = state.store.get(*id).await {
                        crate::transitions::ended(&state.metrics, &job);
                    }
                }
                if !lost.is_empty() {
                    state.changed();
                }
            }
            Err(e) => tracing::warn!(error = %e, "reaper pass failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(rhythm.reap) => {}
            _ = state.stopped.cancelled() => return,
        }
    }
}

/// Runs left on this machine by a worker that died (kill -9, OOM): see orphans.rs.
async fn sweep(state: Arc<AppState>, rhythm: Rhythm) {
    let jobs: PathBuf = state.data_dir.join("jobs");
    let grace = state.grace;
    loop {
        let dir = jobs.clone();
        let _ = tokio::task::spawn_blocking(move || orphans::sweep(&dir, grace)).await;
        tokio::select! {
            _ = tokio::time::sleep(rhythm.reap) => {}
            _ = state.stopped.cancelled() => return,
        }
    }
}

/// Every `every`: a shared store whose setup came to allow data loss (a Redis with an eviction
/// policy, or no persistence) refuses the API's calls (503) and takes, and is logged at each
/// check until it is fixed; a store that lost data is logged, and what this process ran is
/// recorded lost (see `JobStore::health`).
pub fn watch_health(state: Arc<AppState>, every: Duration) {
    tokio::spawn(async move {
        let mut refused = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = state.stopped.cancelled() => return,
            }
            match state.store.health().await {
                Ok(health) => {
                    for why in &health.refusals {
                        tracing::error!("refusing jobs until Redis is fixed: {why}");
                    }
                    if refused && health.refusals.is_empty() {
                        tracing::warn!("Redis's settings are safe again: taking jobs again");
                    }
                    refused = !health.refusals.is_empty();
                    if health.data_lost.is_some() {
                        state.changed();
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not check Redis's settings"),
            }
        }
    });
}
