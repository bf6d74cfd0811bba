// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_task's answers to the action plugin: what the claim decided, what the release did.

use crate::report::job_status;
use jobs::start::{self, Claimed, Decision, Released, JOB_FILE_WAIT};
use jobs::{AliasName, AsyncDir, Held, Jid, Job, Token};
use protocol::{Failure, Response};
use serde_json::Value;

/// The claim's answer: `action` is attach, keep, dead, wait, start or restart.
pub fn answer(claimed: Claimed, mut r: Response) -> Response {
    let (job, decision, busy) = match claimed {
        Claimed::StartedByAwaited { jid, job } => {
            if let Some(job) = job {
                r.set("job", nested_status(job));
            }
            return r
                .with("ansible_job_id", jid.as_str())
                .with("action", "attach");
        }
        Claimed::Decided {
            job,
            decision,
            busy,
        } => (job, decision, busy),
    };
    if let Some(job) = job {
        r.set("ansible_job_id", job.jid.as_str());
        r.set("job", nested_status(job));
    }
    let action = match (decision, busy) {
        (Decision::Attach, _) => "attach",
        (Decision::Keep, _) => "keep",
        (Decision::Dead, _) => "dead",
        (_, Some(held)) => {
            r.set("claim_age", held.age.as_secs());
            // Only a real token can be waited on with _after; a damaged claim just ages out.
            if let Ok(c) = &held.claim {
                r.set("claim_holder", c.token().as_str());
            }
            "wait"
        }
        (Decision::Start, None) => "start",
        (Decision::Restart, None) => "restart",
    };
    if matches!(action, "start" | "restart") {
        r.set("changed", true);
    }
    r.with("action", action)
}

/// A job's status inside the claim answer. Its `*_lines` are built by the action plugin, like
/// every other `*_lines`: never on the target.
fn nested_status(job: Job) -> Value {
    Value::Object(job_status(job).0)
}

fn taken_over(alias: &AliasName, held: Option<Held>, jid: Option<&Jid>, r: Response) -> Failure {
    let mut f = Failure::new(format!(
        "this run's claim on '{alias}' was taken over by another run{}; {}",
        held.map(|h| format!(" {} s ago", h.age.as_secs()))
            .unwrap_or_default(),
        match jid {
            Some(j) => format!("job {j} was started but not named: stop it with async_kill"),
            None => "nothing was started".into(),
        }
    ));
    if let Some(j) = jid {
        f = f.with("ansible_job_id", j.as_str());
    }
    f.with_all(r)
}

/// Names the started job (or drops the claim) and says so.
pub fn release(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &Token,
    jid: Option<&Jid>,
    mut r: Response,
) -> Result<Response, Failure> {
    match start::release(dir, alias, token, jid)? {
        Released::TakenOver(held) => Err(taken_over(alias, held, jid, r)),
        Released::Dropped => Ok(r.with("msg", format!("released the claim on '{alias}'"))),
        Released::Named {
            previous,
            removed,
            appeared,
        } => {
            let jid = jid.map(Jid::as_str).unwrap_or_default();
            if !appeared {
                r.warn(format!(
                    "the job file of {jid} did not appear within {} s",
                    JOB_FILE_WAIT.as_secs()
                ));
            }
            r.set("changed", true).set("ansible_job_id", jid);
            if let Some(old) = previous {
                r.set("previous_job_id", old.as_str());
            }
            if let Some(removed) = removed {
                let removed: Vec<Value> = removed
                    .iter()
                    .map(|p| Value::String(p.to_string_lossy().into_owned()))
                    .collect();
                r.set("removed", removed);
            }
            Ok(r.with("msg", format!("alias '{alias}' now names job {jid}")))
        }
    }
}
