// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_status_id: async_status that also finds jobs by alias, spots dead wrappers and cleans up.

use host_modules::status_answer::{cleanup, job_failure, status};
use host_modules::{specs, StatusArgs};
use jobs::locate;
use protocol::{Failure, Params, Response};
use std::process::ExitCode;

const NAME: &str = "async_status_id";

fn main() -> ExitCode {
    protocol::run(NAME, &specs::async_status_id(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let StatusArgs {
        wanted,
        cleanup: scope,
        dir,
        wait,
        fail_on_job_failure,
    } = StatusArgs::from(p)?;
    // async_task re-points names under this lock; deleting under it too means a name is never
    // removed just after it was moved to a new job.
    let _lock = if scope.is_some() && !p.check_mode && dir.path().is_dir() {
        Some(dir.lock()?)
    } else {
        None
    };
    match scope {
        Some(scope) => cleanup(&dir, &locate(&dir, wanted)?, scope, p),
        None => {
            // wait zero is one look, exactly today's poll.
            let target = jobs::wait(&dir, &wanted, wait)?;
            let found_job = target.job.is_some();
            job_failure(status(&dir, target), found_job, fail_on_job_failure)
        }
    }
}
