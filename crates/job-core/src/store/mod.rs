// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where jobs live. The API and the workers only see this trait: the embedded SQLite store and
//! the Redis store implement it. Every check-then-act (a name's holder, a claim, a cancel, a
//! lease's end) is one call here, and atomic in each store.
//!
//! Workers of one process share the embedded store; workers on many machines share Redis. The
//! last four methods exist for the second case: a worker's heartbeat renews the leases of the
//! jobs it runs, and `reap` ends the jobs whose lease ran out (`failed`, reason `lost`). Their
//! defaults fit a store that only one process uses, where `recover` at start does that work.

use async_trait::async_trait;
use serde_json::Value;

use crate::model::{Finish, Job, JobId, JobSpec, Status};

#[cfg(test)]
mod contract;
pub mod redis;
pub mod sqlite;
mod writer;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("store: a stored job does not parse: {0}")]
    Corrupt(String),
    #[error("store: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: the write was not committed: {0}")]
    Commit(String),
    #[error("store: no answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("store: a blocking task failed: {0}")]
    Join(String),
}

impl StoreError {
    /// The store is away for the moment (Redis restarting, a link down, no answer in time): the
    /// same call may work in a second.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Redis(e) => e.is_io_error() || e.is_connection_dropped() || e.is_timeout(),
            StoreError::Timeout(_) => true,
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// What a submission became.
#[derive(Debug)]
pub enum Submitted {
    Created(Job),
    /// The name's job, live with the same payload, or ended and kept by `restart`.
    Attached(Job),
    /// The name is held by a live job with another payload.
    Conflict(Job),
}

#[derive(Debug)]
pub enum Cancel {
    /// It was pending: now `canceled`.
    Canceled(Job),
    /// It is running: its worker has been asked to stop it.
    Requested(Job),
    /// It had already ended.
    Ended(Job),
    NotFound,
}

#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub name: Option<String>,
    pub limit: u32,
    /// `seq` of the last job of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Debug)]
pub struct Page {
    pub jobs: Vec<Job>,
    pub next_cursor: Option<i64>,
}

/// A piece of a job's stdout: bytes from `start`, and where the next read starts.
#[derive(Debug, PartialEq)]
pub struct OutputSlice {
    pub start: u64,
    pub data: Vec<u8>,
    pub next: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub data: Value,
}

/// A job that was running when the last process died: what is left of its run may still need
/// killing.
#[derive(Debug, PartialEq)]
pub struct Lost {
    pub id: JobId,
    pub pid: Option<(u32, u64)>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn submit(&self, spec: JobSpec) -> Result<Submitted>;
    async fn get(&self, id: JobId) -> Result<Option<Job>>;
    /// Newest first; jobs in a page carry no stdout.
    async fn list(&self, q: ListQuery) -> Result<Page>;
    /// The oldest pending job, now `running` on `worker`.
    async fn claim(&self, worker: &str) -> Result<Option<Job>>;
    /// The run's leader and its start time, to find what is left of it after a crash.
    async fn set_pid(&self, id: JobId, pid: u32, start_time: u64) -> Result<()>;
    async fn append_output(&self, id: JobId, chunk: Vec<u8>) -> Result<()>;
    /// `None` when there is no such job.
    async fn output(&self, id: JobId, offset: u64, max: usize) -> Result<Option<OutputSlice>>;
    async fn append_events(&self, id: JobId, events: Vec<Value>) -> Result<()>;
    async fn events(&self, id: JobId, after: i64, limit: usize) -> Result<Vec<Event>>;
    /// Ends a running job; `None` if it was not running.
    async fn finish(&self, id: JobId, finish: Finish) -> Result<Option<Job>>;
    async fn cancel(&self, id: JobId) -> Result<Cancel>;
    /// At start, with no worker alive: running jobs become `failed`, reason `lost`.
    async fn recover(&self) -> Result<Vec<Lost>>;
    /// Deletes jobs that ended before `ended_before` (µs since the epoch); returns how many.
    async fn purge(&self, ended_before: i64) -> Result<u64>;
    async fn counts(&self) -> Result<Vec<(Status, u64)>>;

    /// True when `claim` itself waits a while for a job (Redis: a blocking move), so an idle
    /// worker calls it again at once instead of sleeping.
    fn claim_waits(&self) -> bool {
        false
    }
    /// The workers of one process say they are alive and renew the leases of the jobs they
    /// run. The answer names the jobs to stop.
    async fn heartbeat(&self, _workers: &[String], _running: &[JobId]) -> Result<Beat> {
        Ok(Beat::default())
    }
    /// Ends every running job whose lease ran out (`failed`, reason `lost`) and puts back in
    /// the queue what dead workers had taken but never started. Any process may call it; at
    /// most one at a time does the work (`me` names it). Returns the jobs it ended.
    async fn reap(&self, _me: &str) -> Result<Vec<JobId>> {
        Ok(Vec::new())
    }
    /// A worker stops cleanly: what it took but never started goes back to the queue.
    async fn leave(&self, _worker: &str) -> Result<()> {
        Ok(())
    }
    /// Calls `changed` whenever another process changed a job (state, events), so `?wait` and
    /// the event stream of this process wake up. A store used by one process never needs to.
    fn watch_changes(&self, _changed: ChangeFn) {}
}

/// Called with the job that changed.
pub type ChangeFn = std::sync::Arc<dyn Fn(JobId) + Send + Sync>;

/// What a heartbeat tells the workers that sent it.
#[derive(Debug, Default, PartialEq)]
pub struct Beat {
    /// Someone asked to cancel these jobs.
    pub cancel: Vec<JobId>,
    /// These jobs are no longer this process's to run (the reaper ended them while the worker
    /// was cut off): their runs must be stopped at once.
    pub gone: Vec<JobId>,
}
