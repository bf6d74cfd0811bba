// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where jobs live. The API and the workers only see this trait: the embedded SQLite store
//! implements it, and so will the Redis one. Every check-then-act (a name's holder, a claim, a
//! cancel) is one call here, and atomic in each store.

use async_trait::async_trait;
use serde_json::Value;

use crate::model::{Finish, Job, JobId, JobSpec, Status};

pub mod sqlite;
mod writer;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: a stored job does not parse: {0}")]
    Corrupt(String),
    #[error("store: {0}")]
    Io(#[from] std::io::Error),
    #[error("store: the write was not committed: {0}")]
    Commit(String),
    #[error("store: a blocking task failed: {0}")]
    Join(String),
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
}
