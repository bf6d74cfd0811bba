// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! ansible-job-service: an HTTP API that runs Ansible playbooks as jobs.
//!
//! - `cli`: the command line; `config`: flags from `AJS_` variables and `--config` too;
//!   `cmd/`: what each command does.
//! - `api/`: routes, extractors, answers, the checks against web pages.
//! - `auth/`: bearer tokens with names and scopes. `http/`: connections: the accept loop, TLS,
//!   the access log.
//! - `runtime/`: workers running jobs. `state`: what handlers and workers share.
//! - `logging`: stderr's format; `transitions`: the line and the metrics of each job's
//!   submission, start and end; `metrics`: what `/metrics` shows.

pub mod api;
pub mod auth;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod runtime;
pub mod state;
pub mod transitions;

/// How a command failed: usage errors exit 2, the rest 1.
#[derive(Debug)]
pub enum CommandError {
    Usage(String),
    Runtime(String),
}
