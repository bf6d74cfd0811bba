// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The job service's domain, shared by its API, its workers and its stores.
//!
//! - The job model: [`Job`], what was asked for ([`JobSpec`]), its state ([`Status`]) and how it
//!   ended ([`Finish`], [`Reason`]).
//! - [`request`]: a POST body becomes a [`JobSpec`] or a [`FieldError`] naming the field; paths
//!   stay inside the [`Project`].
//! - [`JobStore`]: where jobs live. [`store::sqlite`] is the embedded store of one process,
//!   [`store::redis`] the one many processes and machines share. Every check-then-act (a name's
//!   holder, a take, a cancel, a lease's end) is one atomic call of the trait.
//!
//! Nothing here runs a program or speaks HTTP: the `job-service` binary does both.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use job_core::store::sqlite::SqliteStore;
//! use job_core::{request, Project, JobStore, Submitted};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let project = Project::open(Path::new("/srv/playbooks"))?;
//! let body = serde_json::from_str(r#"{"playbook": "hello.yml", "name": "nightly"}"#)?;
//! let spec = request::parse(&body, None, &project)?;
//! let store = SqliteStore::open(Path::new("/var/lib/ajs/jobs.sqlite3"), 1 << 20)?;
//! match store.submit(spec).await? {
//!     Submitted::Created(job) => println!("queued {}", job.id),
//!     Submitted::Attached(job) => println!("already there: {}", job.id),
//!     Submitted::Conflict(job) => println!("{} holds the name with another payload", job.id),
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod fingerprint;
mod model;
pub mod request;
pub mod store;
mod submission;
mod time;

pub use model::{
    error_text, Finish, HostStats, Inventory, Job, JobId, JobSpec, Reason, Restart, Stats, Status,
    ERROR_MAX,
};
pub use request::{FieldError, Project};
pub use store::{
    Beat, Cancel, ChangeFn, Event, Health, JobStore, JobStoreError, JobStoreErrorKind, ListQuery,
    Lost, OutputSlice, Page, StoreUrl, Submitted,
};
pub use submission::{Submission, Tags};
pub use time::{now_micros, rfc3339};
