// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Shared pieces of the controller-side record modules: backend options and the record's keys.
//!
//! Both modules stay public as namespaces: [`specs`] holds each module's option spec, [`backend`]
//! turns the backend options into a [`records::RecordStore`] (`backend::begin`, `backend::key`, ...).
//!
//! ```no_run
//! use controller_modules::{backend, specs};
//! use protocol::{Failure, Params, Response};
//!
//! fn body(p: &Params) -> Result<Response, Failure> {
//!     let (key, store, mut r) = backend::begin(p)?;
//!     if let Some(record) = store.load(&key)? {
//!         for (k, v) in backend::record_keys(&record) {
//!             r.set(k, v);
//!         }
//!     }
//!     Ok(r)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     protocol::run("async_job_load", &specs::async_job_load(), body)
//! }
//! ```
#![deny(missing_docs)]

pub mod backend;
pub mod specs;
