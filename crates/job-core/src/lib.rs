// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The job service's domain, shared by its API, its workers and its stores.

pub mod fingerprint;
pub mod model;
pub mod store;
pub mod time;
pub mod validate;

pub use model::{
    Finish, HostStats, Inventory, Job, JobId, JobSpec, Reason, Restart, Stats, Status,
};
pub use store::{Store, StoreError};
