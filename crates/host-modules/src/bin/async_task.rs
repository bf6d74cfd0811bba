// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_task's host side. The action plugin starts the job through ansible-core's async wrapper;
//! this binary makes the two decisions around that start atomic on the host (`jobs::start`):
//! `_mode=claim` before the start, `_mode=release` after it.

use host_modules::task_answer::{answer, release};
use host_modules::{specs, TaskArgs, TaskStep};
use jobs::start::{self, ClaimRequest};
use protocol::{Failure, Params, Response};
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_task", &specs::async_task(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let TaskArgs {
        alias,
        token,
        step,
        dir,
    } = TaskArgs::from(p)?;
    let mut r = Response::new(false);
    r.set("ansible_job_alias", alias.as_str()).set(
        "alias_path",
        dir.alias_file(&alias).to_string_lossy().as_ref(),
    );
    let (after, restart, ttl) = match step {
        TaskStep::Release { jid } => return release(&dir, &alias, &token, jid.as_ref(), r),
        TaskStep::Claim {
            after,
            restart,
            ttl,
        } => (after, restart, ttl),
    };
    let request = ClaimRequest {
        token: &token,
        after: after.as_ref(),
        ttl,
        restart,
        check_mode: p.check_mode,
    };
    let claimed = start::claim(&dir, &alias, &request).map_err(|e| match &e {
        jobs::JobError::UnreadableJob { path, .. } => {
            let jid = path.file_name().map(|n| n.to_string_lossy().into_owned());
            Failure::new(&e).with("ansible_job_id", jid.unwrap_or_default())
        }
        _ => Failure::new(e),
    })?;
    Ok(answer(claimed, r))
}
