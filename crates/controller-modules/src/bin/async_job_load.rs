// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_load: find a job record by name. Only a record that does not exist is "not found";
//! a damaged or unreachable one is an error, so the caller never starts a duplicate job.

use controller_modules::backend::{self, record_keys};
use controller_modules::specs;
use protocol::{Failure, Params, Response};
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_job_load", &specs::async_job_load(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let (key, store, mut r) = backend::begin(p)?;
    match store.load(&key)? {
        Some(record) => {
            r.set("found", true);
            for (k, v) in record_keys(&record) {
                r.set(k, v);
            }
        }
        None => {
            r.set("found", false)
                .set("ansible_job_id", "")
                .set("host", key.host.as_str())
                .set("metadata", serde_json::Map::new())
                .set("save_time", "")
                .set("pending", false);
        }
    }
    Ok(r)
}
