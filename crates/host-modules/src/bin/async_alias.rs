// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_alias: gives a running job a name, a `jid_<alias>` symlink next to its job file.

use host_modules::args::AliasArgs;
use host_modules::specs;
use jobs::alias;
use jobs::status::probe;
use jobs::JobError;
use protocol::{Failure, Params, Response};
use serde_json::{json, Value};
use std::process::ExitCode;

const NAME: &str = "async_alias";

fn main() -> ExitCode {
    protocol::run(NAME, &specs::async_alias(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let AliasArgs {
        alias,
        jid,
        force,
        dir,
    } = AliasArgs::from(p)?;
    let alias_path = dir.alias_file(&alias);
    let job_file = dir.job_file(&jid);

    let mut r = Response::new(false);
    r.set("ansible_job_id", jid.as_str())
        .set("ansible_job_alias", alias.as_str())
        .set("alias_path", alias_path.to_string_lossy().as_ref())
        .set("results_file", job_file.to_string_lossy().as_ref());

    // Read, check and point under the lock async_task and cleanup take, so that of two calls
    // racing for one name only one can see it free. No lock in check mode, nor when the dir is
    // missing (the job cannot exist then, and locking would create the dir).
    let _lock = if !p.check_mode && dir.path().is_dir() {
        Some(dir.lock()?)
    } else {
        None
    };
    if probe(&dir, &jid)?.is_none() {
        return Err(Failure::new(format!(
            "could not find job {jid} in {}: a job must exist before it can be named",
            dir.path().display()
        ))
        .with_all(r));
    }

    let current = match alias::read(&dir, &alias) {
        Ok(link) => link,
        // A broken alias leads nowhere: force may replace the link itself, nothing else.
        Err(e @ JobError::BrokenAlias { .. }) if force => {
            r.warn(format!("replaced the {e}"));
            None
        }
        Err(e) => return Err(Failure::new(e).with_all(r)),
    };
    let previous: Option<String> = current.as_ref().map(|l| l.jid.to_string());
    if let Some(link) = &current {
        let other = &link.jid;
        if other == &jid {
            return Ok(r.with("msg", format!("alias '{alias}' already names job {jid}")));
        }
        if let Some(job) = probe(&dir, other)? {
            if job.is_live() {
                if !force {
                    return Err(Failure::new(format!(
                        "alias '{alias}' already names job {other}, which is still running; \
                         wait for it, clean it up, or set force=true to move the alias"
                    ))
                    .with_all(r)
                    .with("previous_job_id", other.as_str()));
                }
                r.warn(format!(
                    "alias '{alias}' moved away from job {other}, which is still running"
                ));
            }
        }
    }

    if p.diff {
        let before = previous.clone().map_or(
            Value::Null,
            |t| json!({ "alias": alias.as_str(), "job": t }),
        );
        r.diff(
            before,
            json!({ "alias": alias.as_str(), "job": jid.as_str() }),
        );
    }
    if let Some(prev) = previous {
        r.set("previous_job_id", prev);
    }
    if !p.check_mode {
        alias::point(&dir, &alias, &jid)?;
    }
    r.set("changed", true);
    r.set("msg", format!("alias '{alias}' now names job {jid}"));
    Ok(r)
}
