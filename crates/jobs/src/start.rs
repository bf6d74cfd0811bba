// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_task's start protocol on the host: the two decisions around a start through the async
//! wrapper, each made under the async dir's lock.
//! - [`claim`]: look at the job behind the name and decide whether to attach to it, keep its
//!   result, or start a new one (then claim the name for this run);
//! - [`release`]: name the job this run started and end the claim.

use crate::alias;
use crate::claim::{self, Held, Refused, Token};
use crate::cleanup::{job_files, remove_all};
use crate::dir::AsyncDir;
use crate::error::{JobError, Result};
use crate::jobfile::truthy;
use crate::locate::{locate, Wanted};
use crate::names::{AliasName, Jid};
use crate::status::{probe, Job, State};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// When a job that exists is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// Never: an existing job's result is the answer.
    Never,
    /// When it failed, was killed, or its wrapper died.
    OnFailure,
    /// Every time it is not running.
    Always,
}

impl Restart {
    /// The module's `restart` choices; the option spec has already refused anything else.
    pub fn parse(s: &str) -> Option<Restart> {
        match s {
            "never" => Some(Restart::Never),
            "on_failure" => Some(Restart::OnFailure),
            "always" => Some(Restart::Always),
            _ => None,
        }
    }
}

/// What to do with the job a name points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No job behind the name: start one.
    Start,
    /// The policy restarts the job that is there: start a new one in its place.
    Restart,
    /// It is running: follow it instead of starting another.
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

/// The restart policy applied to the job behind a name. An unreadable job file is an error,
/// never a restart: its job may still be running.
pub fn decide(job: Option<&Job>, restart: Restart) -> Result<Decision> {
    let Some(job) = job else {
        return Ok(Decision::Start);
    };
    let again = match restart {
        Restart::Always => true,
        Restart::OnFailure => failed(job) || job.state == State::Dead,
        Restart::Never => false,
    };
    Ok(match &job.state {
        State::Running => Decision::Attach,
        State::Corrupt(why) => {
            return Err(JobError::UnreadableJob {
                path: job.path.clone(),
                why: why.clone(),
            })
        }
        _ if again => Decision::Restart,
        State::Dead => Decision::Dead,
        _ => Decision::Keep,
    })
}

/// What [`claim`] found and decided.
#[derive(Debug)]
pub enum Claimed {
    /// The run this one waited for (`after`) started this job: attach to it, whatever the
    /// policy says, even if it has already finished and been cleaned up.
    StartedByAwaited {
        /// The job that run started.
        jid: Jid,
        /// Its state, when its file is still there.
        job: Option<Job>,
    },
    /// The restart policy applied to what is behind the name.
    Decided {
        /// The job behind the name, if any.
        job: Option<Job>,
        /// What to do with it.
        decision: Decision,
        /// For Start and Restart: another run's fresh claim, so this one must wait.
        busy: Option<Held>,
    },
}

/// What a run asks of [`claim`].
pub struct ClaimRequest<'a> {
    /// This run's token.
    pub token: &'a Token,
    /// The token of the run this one waited for, if any.
    pub after: Option<&'a Token>,
    /// How long another run's claim blocks this one; an older claim is taken over.
    pub ttl: Duration,
    /// The policy for a job that already exists.
    pub restart: Restart,
    /// Changes nothing, not even by creating the async dir for the lock.
    pub check_mode: bool,
}

/// Decides, under the lock, what this run does with the name, and claims it when it is to start.
pub fn claim(dir: &AsyncDir, alias: &AliasName, req: &ClaimRequest<'_>) -> Result<Claimed> {
    let _lock = if req.check_mode {
        None
    } else {
        Some(dir.lock()?)
    };
    if let Some(after) = req.after {
        if let Some(jid) = claim::current(dir, alias)?.and_then(|h| h.started_by(after).cloned()) {
            let job = probe(dir, &jid)?;
            return Ok(Claimed::StartedByAwaited { jid, job });
        }
    }
    let job = locate(dir, Wanted::Alias(alias.clone()))?.job;
    let decision = decide(job.as_ref(), req.restart)?;
    let busy = match decision {
        Decision::Start | Decision::Restart if req.check_mode => {
            claim::current(dir, alias)?.filter(|h| h.blocks(req.token, req.ttl))
        }
        Decision::Start | Decision::Restart => match claim::take(dir, alias, req.token, req.ttl)? {
            Ok(()) => None,
            Err(Refused::Busy(h)) => Some(h),
        },
        _ => None,
    };
    Ok(Claimed::Decided {
        job,
        decision,
        busy,
    })
}

/// What [`release`] did.
#[derive(Debug)]
pub enum Released {
    /// Nothing was started; the claim is gone.
    Dropped,
    /// The name now points to the started job.
    Named {
        /// The job the name pointed to before, when it was another one.
        previous: Option<Jid>,
        /// When that job was done and no other name points to it: its files, now removed.
        removed: Option<Vec<PathBuf>>,
        /// False when the job file had not appeared within the wait.
        appeared: bool,
    },
    /// Another run holds the claim now: this one must not name anything.
    TakenOver(Option<Held>),
}

/// How long [`release`] waits for the wrapper's job file. The wrapper answers after at most
/// 2.5 s, maybe before the job file exists; a name must not point to nothing, or the next run
/// would start the job again.
pub const JOB_FILE_WAIT: Duration = Duration::from_secs(15);

/// Names the job this run started and ends its claim. The claim is checked under the lock first,
/// so a run that holds none is answered at once; the wait for the job file happens without the
/// lock, so other runs are never held up by it; then the claim is checked again under the lock
/// before the name moves.
pub fn release(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &Token,
    started: Option<&Jid>,
) -> Result<Released> {
    let lock = dir.lock()?;
    if !claim::holds(dir, alias, token)? {
        return Ok(Released::TakenOver(claim::current(dir, alias)?));
    }
    let Some(jid) = started else {
        claim::release(dir, alias, token, None)?;
        return Ok(Released::Dropped);
    };
    drop(lock);
    let appeared = wait_for_file(&dir.job_file(jid), JOB_FILE_WAIT);
    let _lock = dir.lock()?;
    if !claim::release(dir, alias, token, Some(jid))? {
        return Ok(Released::TakenOver(claim::current(dir, alias)?));
    }
    let previous = alias::read(dir, alias).ok().flatten().map(|l| l.jid);
    alias::point(dir, alias, jid)?;
    let previous = previous.filter(|old| old != jid);
    let mut removed = None;
    // The job this name pointed to before a restart is done with: drop its files unless another
    // name still points to it.
    if let Some(old) = &previous {
        let done = !matches!(probe(dir, old)?, Some(j) if j.is_live());
        if done && alias::pointing_to(dir, old)?.is_empty() {
            // Best effort: the new job is started and named, so failing now would report a
            // failed start behind a running job. What stays is an ended job async_prune finds
            // and reports.
            removed = Some(remove_all(&job_files(dir, old)).removed);
        }
    }
    Ok(Released::Named {
        previous,
        removed,
        appeared,
    })
}

fn wait_for_file(path: &std::path::Path, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    while path.symlink_metadata().is_err() {
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

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
        let policies = [
            super::Restart::Never,
            super::Restart::OnFailure,
            super::Restart::Always,
        ];
        use Decision::*;
        let table = [
            (None, [Start, Start, Start]),
            (Some(&running), [Attach, Attach, Attach]),
            (Some(&ok), [Keep, Keep, Restart]),
            (Some(&bad), [Keep, Restart, Restart]),
            (Some(&nonzero), [Keep, Restart, Restart]),
            (Some(&killed), [Keep, Restart, Restart]),
            (Some(&dead), [Dead, Restart, Restart]),
        ];
        for (j, want) in table {
            for (policy, want) in policies.iter().zip(want) {
                assert_eq!(decide(j, *policy).ok(), Some(want), "{policy:?} on {j:?}");
            }
        }
        let parse = super::Restart::parse;
        assert_eq!(parse("on_failure"), Some(super::Restart::OnFailure));
        assert_eq!(parse("sometimes"), None);
    }

    #[test]
    fn a_corrupt_job_file_is_an_error_not_a_restart() {
        let j = job(State::Corrupt("not JSON".into()), json!({}));
        let msg = decide(Some(&j), Restart::Always).unwrap_err().to_string();
        assert!(
            msg.contains("unreadable") && msg.contains("/a/j1.2"),
            "{msg}"
        );
    }
}
