// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where jobs live. The API and the workers only see this trait: the embedded SQLite store and
//! the Redis store implement it. Every check-then-act (a name's holder, a take, a cancel, a
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
mod open;
pub mod redis;
pub mod sqlite;
mod writer;

pub use open::{
    has_password, open, open_lock, redact, OpenError, OpenOptions, Opened, StoreUrl,
    STORE_URL_FORMS,
};

/// Why a store call failed. [`JobStoreError::is_unavailable`] tells the errors worth a retry.
#[derive(Debug, thiserror::Error)]
pub enum JobStoreError {
    /// An SQLite call of the embedded store failed.
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A Redis call failed: the connection, or a script that Redis refused.
    #[error("store: redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// What the store holds or answered does not parse (a job, an event, a script's reply), or a
    /// job vanished within one step; the text names the job.
    #[error("store: a stored job does not parse: {0}")]
    Corrupt(String),
    /// Opening the store's file, or starting its threads, failed.
    #[error("store: {0}")]
    Io(#[from] std::io::Error),
    /// The embedded store's writer did not commit the write (the transaction failed, or the
    /// writer thread is gone): nothing of it was kept.
    #[error("store: the write was not committed: {0}")]
    Commit(String),
    /// The caller gave up waiting for the store after this long (the service bounds its
    /// heartbeat this way).
    #[error("store: no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// A read on tokio's blocking pool panicked or was canceled.
    #[error("store: a blocking task failed: {0}")]
    Join(String),
    /// The Redis store refuses work while Redis is set up so that it can lose data (it evicts
    /// keys, or keeps nothing on disk); the text names the setting and the fix. It answers
    /// again once the setting is fixed.
    #[error("store: {0}")]
    Unsafe(String),
}

/// What a failed store call means for its caller, whatever the backend: the API maps these to
/// status codes and the workers to their retries, and neither looks at a backend's own errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStoreErrorKind {
    /// Away for the moment (a link down, a restart, no answer in time): the same call may work
    /// in a second.
    Unavailable,
    /// The store refuses work until the operator fixes its setup (a Redis that can lose data);
    /// the message names the setting.
    Refused,
    /// What the store holds does not parse.
    Corrupt,
    /// Anything else: a bug, a full disk, a broken file.
    Failed,
}

impl JobStoreError {
    /// What this error means, backend aside.
    pub fn kind(&self) -> JobStoreErrorKind {
        match self {
            JobStoreError::Redis(e)
                if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() =>
            {
                JobStoreErrorKind::Unavailable
            }
            JobStoreError::Timeout(_) => JobStoreErrorKind::Unavailable,
            JobStoreError::Unsafe(_) => JobStoreErrorKind::Refused,
            JobStoreError::Corrupt(_) => JobStoreErrorKind::Corrupt,
            _ => JobStoreErrorKind::Failed,
        }
    }

    /// The same call may work later without anyone's help: [`JobStoreErrorKind::Unavailable`],
    /// or [`JobStoreErrorKind::Refused`] (which ends once the setting is fixed).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self.kind(),
            JobStoreErrorKind::Unavailable | JobStoreErrorKind::Refused
        )
    }
}

/// The result of every store call.
pub type Result<T> = std::result::Result<T, JobStoreError>;

/// What a submission became.
#[derive(Debug)]
pub enum Submitted {
    /// A new job, `pending` and queued.
    Created(Job),
    /// The name's job, live with the same payload, or ended and kept by `restart`.
    Attached(Job),
    /// The name is held by a live job with another payload.
    Conflict(Job),
}

/// What a cancel did.
#[derive(Debug)]
pub enum Cancel {
    /// It was pending: now `canceled`.
    Canceled(Job),
    /// It is running: its worker has been asked to stop it.
    Requested(Job),
    /// It had already ended.
    Ended(Job),
    /// No such job (never submitted, or purged since).
    NotFound,
}

/// Which jobs [`JobStore::list`] returns: the filters combine.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Only jobs in this status.
    pub status: Option<Status>,
    /// Only jobs submitted under this name.
    pub name: Option<String>,
    /// The most jobs in a page; stores clamp it to 1..=500.
    pub limit: u32,
    /// `seq` of the last job of the previous page.
    pub cursor: Option<i64>,
}

/// One page of [`JobStore::list`].
#[derive(Debug)]
pub struct Page {
    /// Newest first.
    pub jobs: Vec<Job>,
    /// The cursor for the next page; `None` on the last page.
    pub next_cursor: Option<i64>,
}

/// A piece of a job's stdout: bytes from `start`, and where the next read starts.
#[derive(Debug, PartialEq)]
pub struct OutputSlice {
    /// The offset of `data`'s first byte in the whole output. Above the requested offset when
    /// the bytes asked for were no longer kept.
    pub start: u64,
    /// The bytes, at most the `max` asked for; empty at the end of what was written so far.
    pub data: Vec<u8>,
    /// `start + data.len()`: the offset to ask for next.
    pub next: u64,
}

/// One event of a job's run (a line its callback wrote to fd 3).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Its number within the job: 1 for the first, then one more for each.
    pub seq: i64,
    /// The event as the callback wrote it: a JSON object.
    pub data: Value,
}

/// A job that was running when the last process died: what is left of its run may still need
/// killing.
#[derive(Debug, PartialEq)]
pub struct Lost {
    /// The job, now `failed` with reason `lost`.
    pub id: JobId,
    /// Its run's leader and that process's start time, as [`JobStore::set_pid`] recorded them:
    /// enough to tell whether the pid was reused since.
    pub pid: Option<(u32, u64)>,
}

/// Where jobs live, for the API and the workers alike.
///
/// What every store guarantees (contract.rs holds the tests each store must pass):
/// - A call that changes jobs is one atomic step: no other call sees it half done, and two such
///   calls on one job never interleave. This is what makes a name's check-then-insert, a take,
///   a cancel and a finish safe under concurrency, across processes for a shared store.
/// - A call that returned `Ok` has been kept: the embedded store answers only after its commit,
///   the Redis store after Redis ran the command (kept as far as Redis persists).
/// - A job's status only moves forward ([`Status`]); once final, its status, reason, rc and
///   stats never change again, and [`JobStore::purge`] alone removes it.
/// - `seq` grows with each submission: [`JobStore::take`] takes jobs in that order (FIFO) and
///   [`JobStore::list`] pages by it.
/// - Output offsets are those of the whole output, however much of it was dropped; the last
///   `stdout_cap` bytes (the store's setting) are always kept.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Queues a new job, unless `spec.name` is held. In one atomic step: the name's newest job,
    /// while live, is the answer: [`Submitted::Attached`] with the same payload (equal
    /// fingerprints), [`Submitted::Conflict`] with another. Once it ended, `spec.restart`
    /// decides between that ended job ([`Submitted::Attached`], with its stdout) and a new one.
    /// So concurrent submissions of one name create at most one job. Without a name, or when
    /// the name's job was purged, the job is always created.
    async fn submit(&self, spec: JobSpec) -> Result<Submitted>;
    /// The job, with its kept stdout once it ended (`stdout` is `None` while it is live);
    /// `None` when there is no such job.
    async fn get(&self, id: JobId) -> Result<Option<Job>>;
    /// Newest first; jobs in a page carry no stdout.
    async fn list(&self, q: ListQuery) -> Result<Page>;
    /// The oldest pending job, now `running` on `worker`; `None` when there was none to take
    /// (the Redis store waits a while for one first). One atomic step: no two takes get the
    /// same job. Sets `started_at` and `worker`, and counts one more `attempt`.
    async fn take(&self, worker: &str) -> Result<Option<Job>>;
    /// The run's leader and its start time, to find what is left of it after a crash. Never
    /// creates a job that is gone.
    async fn set_pid(&self, id: JobId, pid: u32, start_time: u64) -> Result<()>;
    /// Appends a chunk of the run's stdout and stderr. Only a `running` job takes it: from a
    /// worker whose job ended meanwhile (canceled, reaped) it is dropped without an error.
    /// What lies before the last `stdout_cap` bytes may be dropped from then on.
    async fn append_output(&self, id: JobId, chunk: Vec<u8>) -> Result<()>;
    /// Up to `max` bytes of the output from `offset`, while the job runs and after it ended.
    /// An offset before what is kept reads from the first kept byte, one past the end reads
    /// no bytes from the end (see [`OutputSlice`]). `None` when there is no such job.
    async fn output(&self, id: JobId, offset: u64, max: usize) -> Result<Option<OutputSlice>>;
    /// Appends the job's next events, numbered on from its last one in one atomic step. Its
    /// worker calls it while the job runs; for a job the store does not hold they may be
    /// dropped.
    async fn append_events(&self, id: JobId, events: Vec<Value>) -> Result<()>;
    /// The job's events numbered above `after`, oldest first, at most `limit`; none for a job
    /// that is not there.
    async fn events(&self, id: JobId, after: i64, limit: usize) -> Result<Vec<Event>>;
    /// Ends a running job; `None` if it was not running. In one atomic step: the status check,
    /// the final state (`finished_at` now), and the output cut to its last `stdout_cap` bytes.
    /// So a late report of a worker whose job was reaped or canceled changes nothing. The job
    /// returned carries its stdout.
    async fn finish(&self, id: JobId, finish: Finish) -> Result<Option<Job>>;
    /// Cancels a job in one atomic step: a pending one becomes `canceled` and is never taken;
    /// a running one is flagged (`cancel_requested`), and its worker, told by the caller in the
    /// same process or through [`JobStore::heartbeat`], stops the run and reports `canceled`
    /// through [`JobStore::finish`]. An ended job is left as it is.
    async fn cancel(&self, id: JobId) -> Result<Cancel>;
    /// At start, with no worker alive: running jobs become `failed`, reason `lost`, their output
    /// cut as by [`JobStore::finish`]. Returns them with what [`JobStore::set_pid`] recorded, so the
    /// caller can kill what is left of their runs. The Redis store does nothing here: other
    /// processes may be running jobs, and [`JobStore::reap`] ends those whose worker died.
    async fn recover(&self) -> Result<Vec<Lost>>;
    /// Deletes jobs that ended before `ended_before` (µs since the epoch), with their output
    /// and events; returns how many. Live jobs are never deleted.
    async fn purge(&self, ended_before: i64) -> Result<u64>;
    /// How many jobs are in each status: one entry per status, in the order of [`Status::ALL`],
    /// zeros included. The Redis store reads each status apart, so under load the numbers may
    /// be of moments apart.
    async fn counts(&self) -> Result<Vec<(Status, u64)>>;

    /// True when `take` itself waits a while for a job (Redis: a blocking move), so an idle
    /// worker calls it again at once instead of sleeping.
    fn take_waits(&self) -> bool {
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
    /// True when many processes use this store at once (API processes and workers on other
    /// machines): each then heartbeats, reaps and checks [`JobStore::health`]. False for a store
    /// that is one process's, where `recover` at start does that work.
    fn shared(&self) -> bool {
        false
    }
    /// Checked again and again while the process runs: a store whose setup came to allow data
    /// loss refuses work ([`JobStoreErrorKind::Refused`]) until it is fixed, and one that lost
    /// data says so. A store that cannot change under the process has nothing to report.
    async fn health(&self) -> Result<Health> {
        Ok(Health::default())
    }
}

/// What [`JobStore::health`] found.
#[derive(Debug, Default, PartialEq)]
pub struct Health {
    /// Why the store refuses work now, each naming the setting and the fix; empty while it
    /// works.
    pub refusals: Vec<String>,
    /// The store lost data since the last check (why, for the log).
    pub data_lost: Option<String>,
}

/// One stored event, or `None` (logged) when it is not JSON: one damaged item must not fail the
/// whole read (a 500, and the end of an event stream); its number stays taken, so the ones
/// after it keep theirs.
fn event(id: JobId, seq: i64, data: &str) -> Option<Event> {
    match serde_json::from_str(data) {
        Ok(data) => Some(Event { seq, data }),
        Err(e) => {
            tracing::warn!(job = %id, seq, error = %e, "a stored event is not JSON: skipped");
            None
        }
    }
}

/// Called with the job that changed. The nil id means "anything may have changed" (the Redis
/// store sends it each time it subscribes again after a lost connection).
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
