// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_kill: stop a job and everything it started, then mark it killed.

use host_modules::{specs, KillArgs};
use jobs::{locate, stop, Stopped};
use protocol::{Failure, Params, Response};
use serde_json::{json, Value};
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_kill", &specs::async_kill(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let KillArgs {
        wanted,
        signal,
        grace,
        dir,
    } = KillArgs::from(p)?;
    let mut r = Response::new(false);
    let found = locate(&dir, wanted)?;
    if let Some((alias, _)) = &found.alias {
        r.set("ansible_job_alias", alias.as_str());
    }
    let job = match (found.job, &found.alias, &found.jid) {
        (Some(job), _, _) => job,
        (None, Some((alias, _)), None) => {
            return Err(Failure::new(format!("no job is named '{alias}'"))
                .with("ansible_job_alias", alias.as_str()))
        }
        (None, Some((alias, _)), Some(jid)) => {
            return Err(Failure::new(format!(
                "alias '{alias}' points to job {jid}, whose file is gone"
            )))
        }
        (None, None, jid) => {
            let jid = jid.as_ref().map(|j| j.as_str()).unwrap_or_default();
            return Err(Failure::new("could not find job").with("ansible_job_id", jid));
        }
    };
    r.set("ansible_job_id", job.jid.as_str())
        .set("results_file", job.path.to_string_lossy().as_ref());
    let jid = job.jid.clone();
    let signalled = |list: Vec<(i32, &str)>| -> Vec<Value> {
        list.iter()
            .map(|(pid, s)| json!({"pid": pid, "signal": s}))
            .collect()
    };
    Ok(match stop(&dir, job, signal, grace, p.check_mode)? {
        Stopped::AlreadyEnded { killed } => r
            .with("killed", killed)
            .with("finished", true)
            .with("signalled", json!([]))
            .with(
                "msg",
                format!(
                    "job {jid} had already {}; nothing to do",
                    if killed { "been killed" } else { "finished" }
                ),
            ),
        Stopped::WouldSignal(pids) => r
            .with("changed", true)
            .with(
                "signalled",
                signalled(pids.iter().map(|p| (*p, signal.as_str())).collect()),
            )
            .with("msg", "would kill the job (check mode)"),
        Stopped::Signalled {
            pids,
            sent,
            finished_first,
        } => {
            if finished_first {
                r.warn(format!("job {jid} finished before it could be killed"));
            }
            let msg = if pids.is_empty() {
                format!("job {jid} had no live processes (its wrapper was gone); marked it killed")
            } else {
                format!(
                    "killed job {jid}: {} signal(s) sent to {} process(es)",
                    sent.len(),
                    pids.len()
                )
            };
            r.with("changed", true)
                .with("killed", !finished_first)
                .with("finished", true)
                .with("signalled", signalled(sent))
                .with("msg", msg)
        }
    })
}
