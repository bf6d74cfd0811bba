// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_kill: stop a job and everything it started, then mark it killed.

use host_modules::args::KillArgs;
use host_modules::specs;
use jobs::kill::{job_pids, mark_killed, terminate};
use jobs::locate;
use jobs::status::{probe, State};
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

    if matches!(job.state, State::Finished | State::Killed) {
        return Ok(r
            .with("killed", job.state == State::Killed)
            .with("finished", true)
            .with("signalled", json!([]))
            .with(
                "msg",
                format!(
                    "job {} had already {}; nothing to do",
                    job.jid,
                    if job.state == State::Killed {
                        "been killed"
                    } else {
                        "finished"
                    }
                ),
            ));
    }
    let pids = job_pids(job.jid.prefix());
    if p.check_mode {
        let planned: Vec<Value> = pids
            .iter()
            .map(|pid| json!({"pid": pid, "signal": signal.as_str()}))
            .collect();
        return Ok(r
            .with("changed", true)
            .with("signalled", planned)
            .with("msg", "would kill the job (check mode)"));
    }
    let sent = terminate(&pids, signal, grace);
    // Read again: the job may have finished on its own while we looked.
    let job = probe(&dir, &job.jid)?.unwrap_or(job);
    if job.state == State::Finished {
        r.warn(format!(
            "job {} finished before it could be killed",
            job.jid
        ));
    } else {
        mark_killed(&job, signal)?;
    }
    let signalled: Vec<Value> = sent
        .iter()
        .map(|(pid, s)| json!({"pid": pid, "signal": s}))
        .collect();
    let mut msg = format!(
        "killed job {}: {} signal(s) sent to {} process(es)",
        job.jid,
        sent.len(),
        pids.len()
    );
    if pids.is_empty() {
        msg = format!(
            "job {} had no live processes (its wrapper was gone); marked it killed",
            job.jid
        );
    }
    Ok(r.with("changed", true)
        .with("killed", job.state != State::Finished)
        .with("finished", true)
        .with("signalled", signalled)
        .with("msg", msg))
}
