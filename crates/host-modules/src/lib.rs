// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Shared pieces of the on-host modules: option specs and the status report every module returns.
//!
//! Each binary in `src/bin` is glue: its spec from [`specs`], its typed options from the root
//! (`StatusArgs`, `TaskArgs`, ...), its answer from [`status_answer`] or [`task_answer`], run
//! through `protocol::run`:
//!
//! ```no_run
//! use host_modules::{specs, StatusArgs};
//! use protocol::{Failure, Params, Response};
//!
//! fn body(p: &Params) -> Result<Response, Failure> {
//!     let args = StatusArgs::from(p)?;
//!     let target = jobs::locate(&args.dir, args.wanted)?;
//!     host_modules::status_answer::status(&args.dir, target)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     protocol::run("async_status_id", &specs::async_status_id(), body)
//! }
//! ```
#![deny(missing_docs)]

mod args;
pub mod inventory_answer;
mod report;
pub mod specs;
pub mod status_answer;
pub mod task_answer;

pub use args::{AliasArgs, InventoryArgs, KillArgs, StatusArgs, TaskArgs, TaskStep};
