// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_task's host side. The action plugin starts the job through ansible-core's async wrapper;
//! this binary makes the two decisions around that start atomic on the host:
//! - `claim`: look at the job behind the name and decide, under the async dir's lock, whether to
//!   attach to it, keep its result, or start a new one (then claim the name for this run);
//! - `release`: name the job this run started and drop the claim.

use host_modules::report::job_status;
use host_modules::{specs, DEFAULT_ASYNC_DIR};
use jobs::alias;
use jobs::claim::{self, Refused, Token};
use jobs::cleanup::{job_files, remove_all};
use jobs::jobfile::truthy;
use jobs::status::{probe, Job, State};
use jobs::{locate, AliasName, AsyncDir, Jid, Wanted};
use protocol::{Failure, Params, Response};
use serde_json::Value;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    protocol::run("async_task", &specs::async_task(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let alias = AliasName::parse(p.str("alias").unwrap_or_default())?;
    let dir = AsyncDir::resolve(p.str("_async_dir").unwrap_or(DEFAULT_ASYNC_DIR))?;
    // Every input is checked before anything is read or written.
    let token = Token::parse(p.str("_token").unwrap_or_default())?;
    let after = p.str("_after").map(Token::parse).transpose()?;
    let jid = p.str("_jid").map(Jid::parse).transpose()?;
    let mut r = Response::new(false);
    r.set("ansible_job_alias", alias.as_str()).set(
        "alias_path",
        dir.alias_file(&alias).to_string_lossy().as_ref(),
    );
    if p.str("_mode") == Some("release") {
        return release(&dir, &alias, &token, jid.as_ref(), r);
    }
    let ttl = Duration::from_secs(p.int("_claim_ttl").unwrap_or(120).max(0) as u64);
    claim_or_attach(p, &dir, &alias, (&token, after.as_ref()), ttl, r)
}

/// What to do with the job a name points to.
#[derive(Debug, PartialEq)]
enum Decision {
    Start,
    Restart,
    Attach,
    /// Finished or killed, and the restart policy keeps it: its result is the answer.
    Keep,
    /// Its wrapper is gone and the policy does not restart it: report, do not hide it.
    Dead,
}

fn failed(job: &Job) -> bool {
    job.state == State::Killed
        || truthy(job.data.get("failed"))
        || job
            .data
            .get("rc")
            .and_then(Value::as_i64)
            .is_some_and(|rc| rc != 0)
}

fn decide(job: Option<&Job>, restart: &str) -> Result<Decision, Failure> {
    let Some(job) = job else {
        return Ok(Decision::Start);
    };
    let again = match restart {
        "always" => true,
        "on_failure" => failed(job) || job.state == State::Dead,
        _ => false,
    };
    Ok(match &job.state {
        State::Running => Decision::Attach,
        State::Corrupt(why) => {
            return Err(Failure::new(format!(
                "the job file {} is unreadable ({why}); look at it, then remove it with \
                 async_status_id mode=full_cleanup",
                job.path.display()
            ))
            .with("ansible_job_id", job.jid.as_str()))
        }
        _ if again => Decision::Restart,
        State::Dead => Decision::Dead,
        _ => Decision::Keep,
    })
}

fn claim_or_attach(
    p: &Params,
    dir: &AsyncDir,
    alias: &AliasName,
    (token, after): (&Token, Option<&Token>),
    ttl: Duration,
    mut r: Response,
) -> Result<Response, Failure> {
    // Check mode changes nothing, not even by creating the async dir for the lock.
    let _lock = if p.check_mode {
        None
    } else {
        Some(dir.lock()?)
    };
    if let Some(after) = after {
        if let Some(jid) = claim::current(dir, alias)?.and_then(|h| h.started_by(after).cloned()) {
            // The run this one waited for started the job: that is the job, even if it has
            // already finished and been cleaned up, whatever the restart policy says.
            if let Some(job) = probe(dir, &jid)? {
                r.set("job", nested_status(job));
            }
            return Ok(r
                .with("ansible_job_id", jid.as_str())
                .with("action", "attach"));
        }
    }
    let job = locate(dir, Wanted::Alias(alias.clone()))?.job;
    let decision = decide(job.as_ref(), p.str("restart").unwrap_or("never"))?;
    if let Some(job) = job {
        r.set("ansible_job_id", job.jid.as_str());
        r.set("job", nested_status(job));
    }
    let action = match decision {
        Decision::Attach => "attach",
        Decision::Keep => "keep",
        Decision::Dead => "dead",
        Decision::Start | Decision::Restart => {
            let busy = if p.check_mode {
                claim::current(dir, alias)?.filter(|h| h.blocks(token, ttl))
            } else {
                match claim::take(dir, alias, token, ttl)? {
                    Ok(()) => None,
                    Err(Refused::Busy(h)) => Some(h),
                }
            };
            if let Some(held) = busy {
                r.set("claim_age", held.age.as_secs());
                // Only a real token can be waited on with _after; a damaged claim just ages out.
                if let Ok(c) = &held.claim {
                    r.set("claim_holder", c.token().as_str());
                }
                "wait"
            } else {
                r.set("changed", true);
                if decision == Decision::Start {
                    "start"
                } else {
                    "restart"
                }
            }
        }
    };
    r.set("action", action);
    Ok(r)
}

/// A job's status inside the claim answer. Its `*_lines` are built by the action plugin, like
/// every other `*_lines`: never on the target.
fn nested_status(job: Job) -> Value {
    Value::Object(job_status(job).0)
}

const JOB_FILE_WAIT: Duration = Duration::from_secs(15);

fn wait_for_file(path: &std::path::Path, limit: Duration) -> bool {
    let end = std::time::Instant::now() + limit;
    while path.symlink_metadata().is_err() {
        if std::time::Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn taken_over(
    alias: &AliasName,
    held: Option<claim::Held>,
    jid: Option<&Jid>,
    r: Response,
) -> Failure {
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

/// Names the job this run started and ends its claim. The claim is checked under the lock first,
/// so a run that holds none is answered at once; the wait for the job file happens without the
/// lock, so other runs are never held up by it; then the claim is checked again under the lock
/// before the name moves.
fn release(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &Token,
    jid: Option<&Jid>,
    mut r: Response,
) -> Result<Response, Failure> {
    let lock = dir.lock()?;
    if !claim::holds(dir, alias, token)? {
        return Err(taken_over(alias, claim::current(dir, alias)?, jid, r));
    }
    let Some(jid) = jid else {
        claim::release(dir, alias, token, None)?;
        return Ok(r.with("msg", format!("released the claim on '{alias}'")));
    };
    drop(lock);
    // The wrapper answers after at most 2.5 s, maybe before the job file exists; a name must not
    // point to nothing, or the next run would start the job again.
    if !wait_for_file(&dir.job_file(jid), JOB_FILE_WAIT) {
        r.warn(format!(
            "the job file of {jid} did not appear within {} s",
            JOB_FILE_WAIT.as_secs()
        ));
    }
    let _lock = dir.lock()?;
    if !claim::release(dir, alias, token, Some(jid))? {
        return Err(taken_over(alias, claim::current(dir, alias)?, Some(jid), r));
    }
    let previous = alias::read(dir, alias).ok().flatten();
    alias::point(dir, alias, jid)?;
    r.set("changed", true).set("ansible_job_id", jid.as_str());
    // The job this name pointed to before a restart is done with: drop its file unless another
    // name still points to it.
    if let Some(old) = previous.map(|l| l.jid) {
        if &old != jid {
            r.set("previous_job_id", old.as_str());
            let done = !matches!(probe(dir, &old)?, Some(j) if j.is_live());
            if done && alias::pointing_to(dir, &old)?.is_empty() {
                let removed = remove_all(&job_files(dir, &old))?;
                r.set(
                    "removed",
                    removed
                        .iter()
                        .map(|p| Value::String(p.to_string_lossy().into_owned()))
                        .collect::<Vec<_>>(),
                );
            }
        }
    }
    Ok(r.with("msg", format!("alias '{alias}' now names job {jid}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};
    use std::path::PathBuf;

    fn job(state: State, data: Value) -> Job {
        Job {
            jid: Jid::parse("j1.2").unwrap(),
            path: PathBuf::from("/a/j1.2"),
            state,
            data: data.as_object().cloned().unwrap_or_else(Map::new),
        }
    }

    #[test]
    fn restart_policies() {
        let ok = job(State::Finished, json!({"rc": 0}));
        let bad = job(State::Finished, json!({"rc": 2, "failed": true}));
        let nonzero = job(State::Finished, json!({"rc": 1}));
        let killed = job(State::Killed, json!({}));
        let dead = job(State::Dead, json!({}));
        let running = job(State::Running, json!({}));
        use Decision::*;
        let table = [
            (None, ["never", "on_failure", "always"].map(|_| Start)),
            (Some(&running), [Attach, Attach, Attach]),
            (Some(&ok), [Keep, Keep, Restart]),
            (Some(&bad), [Keep, Restart, Restart]),
            (Some(&nonzero), [Keep, Restart, Restart]),
            (Some(&killed), [Keep, Restart, Restart]),
            (Some(&dead), [Dead, Restart, Restart]),
        ];
        for (j, want) in table {
            for (policy, want) in ["never", "on_failure", "always"].iter().zip(want) {
                assert_eq!(decide(j, policy).ok(), Some(want), "{policy} on {j:?}");
            }
        }
    }

    #[test]
    fn a_corrupt_job_file_is_an_error_not_a_restart() {
        let j = job(State::Corrupt("not JSON".into()), json!({}));
        let err = decide(Some(&j), "always").err().map(|f| f.into_map());
        let msg = err.and_then(|m| m.get("msg").cloned()).unwrap_or_default();
        assert!(msg.to_string().contains("unreadable"), "{msg}");
    }
}
