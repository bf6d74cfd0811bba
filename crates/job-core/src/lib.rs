// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The job service's domain, shared by its API, its workers and its stores.

mod fingerprint;
mod model;
pub mod store;
mod time;
pub mod validate;

pub use model::{
    Finish, HostStats, Inventory, Job, JobId, JobSpec, Reason, Restart, Stats, Status,
};
pub use store::{
    Beat, Cancel, ChangeFn, Event, ListQuery, Lost, OutputSlice, Page, Store, StoreError,
    Submitted,
};
pub use time::{now_micros, rfc3339};
pub use validate::{FieldError, Project};
