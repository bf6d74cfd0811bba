// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Ansible's binary-module protocol.
//!
//! Ansible runs a binary module as `<binary> <args file>`: the args file is one flat JSON object with
//! the task's options plus internal `_ansible_*` keys. The module answers with exactly one JSON object
//! on stdout. This crate owns both ends, validates options the way `AnsibleModule` does (same
//! messages, so users see familiar errors) and turns every failure, panics included, into
//! `{"failed": true, "msg": ...}`.
//!
//! A module binary is a spec and a body:
//!
//! ```no_run
//! use protocol::{ArgSpec, Failure, Opt, Params, Response};
//!
//! fn body(p: &Params) -> Result<Response, Failure> {
//!     let mut r = Response::new(false);
//!     r.set("greeting", format!("hello, {}", p.text("name")?));
//!     Ok(r)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let spec = ArgSpec::new(vec![Opt::str("name").required()]);
//!     protocol::run("hello", &spec, body)
//! }
//! ```
#![deny(missing_docs)]

mod coerce;
mod json;
mod response;
mod runner;
mod spec;
mod validate;

pub use response::{Failure, Response};
pub use runner::{execute, run, run_with_args_file};
pub use spec::{ArgSpec, Kind, Opt};
pub use validate::{validate, Params};
