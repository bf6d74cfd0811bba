// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Each module's options, typed. The spec (specs.rs) owns every default and every choice; these
//! structs only read what validation filled in, then check what the spec cannot (names, tokens,
//! signals), so every input is refused before anything is read or written.

use jobs::cleanup::Scope;
use jobs::start::Restart;
use jobs::{parse_duration, parse_signal, AliasName, AsyncDir, Filter, Jid, Token, Wanted};
use nix::sys::signal::Signal;
use protocol::{Failure, Params};
use std::time::Duration;

fn async_dir(p: &Params) -> Result<AsyncDir, Failure> {
    Ok(AsyncDir::resolve(p.text("_async_dir")?)?)
}

fn wanted(p: &Params) -> Result<Wanted, Failure> {
    Ok(Wanted::parse(p.str("alias"), p.str("jid"))?)
}

/// async_status_id: `None` is a status query.
pub struct StatusArgs {
    /// The job, by alias or jid.
    pub wanted: Wanted,
    /// What `mode` asks to remove; `None` for `mode=status`.
    pub cleanup: Option<Scope>,
    /// The async dir, `~` expanded.
    pub dir: AsyncDir,
    /// How long to hold a status answer while the job runs; zero is a poll.
    pub wait: Duration,
    /// Whether a job that ended badly fails the task (true) or is reported as data (false).
    pub fail_on_job_failure: bool,
}

impl StatusArgs {
    /// Reads the validated options; refuses a bad alias, jid or async dir, and a `wait` out of
    /// range or given with a cleanup mode.
    pub fn from(p: &Params) -> Result<Self, Failure> {
        let cleanup = match p.text("mode")? {
            "cleanup" => Some(Scope::Cleanup),
            "full_cleanup" => Some(Scope::Full),
            _ => None,
        };
        let max = jobs::MAX_WAIT.as_secs_f64();
        let wait = p.filled("wait")?.as_f64().unwrap_or(f64::NAN);
        if !(0.0..=max).contains(&wait) {
            return Err(Failure::new(format!(
                "wait must be between 0 and {max} seconds, got {wait}; for longer waits use async_wait, \
                 which holds one wait per round trip until its timeout"
            )));
        }
        if cleanup.is_some() && wait > 0.0 {
            return Err(Failure::new(
                "wait applies to mode=status only: wait for the job first, then clean up in a second task",
            ));
        }
        Ok(StatusArgs {
            wanted: wanted(p)?,
            cleanup,
            dir: async_dir(p)?,
            wait: Duration::from_secs_f64(wait),
            fail_on_job_failure: p.bool("fail_on_job_failure"),
        })
    }
}

/// async_alias's options.
pub struct AliasArgs {
    /// The name to give.
    pub alias: AliasName,
    /// The job to name.
    pub jid: Jid,
    /// Move the alias even off a running job, or over a broken link.
    pub force: bool,
    /// The async dir, `~` expanded.
    pub dir: AsyncDir,
}

impl AliasArgs {
    /// Reads the validated options; refuses a bad alias, jid or async dir.
    pub fn from(p: &Params) -> Result<Self, Failure> {
        Ok(AliasArgs {
            alias: AliasName::parse(p.text("alias")?)?,
            jid: Jid::parse(p.text("jid")?)?,
            force: p.bool("force"),
            dir: async_dir(p)?,
        })
    }
}

/// async_kill's options.
pub struct KillArgs {
    /// The job, by alias or jid.
    pub wanted: Wanted,
    /// The first signal sent.
    pub signal: Signal,
    /// How long to wait before KILL; 0 to 3600 seconds.
    pub grace: Duration,
    /// The async dir, `~` expanded.
    pub dir: AsyncDir,
}

/// Longer than any shutdown a job deserves; a typo like 36000 is refused, not waited out.
const MAX_GRACE_SECS: f64 = 3600.0;

impl KillArgs {
    /// Reads the validated options; refuses an unknown signal or a grace out of range.
    pub fn from(p: &Params) -> Result<Self, Failure> {
        let signal = parse_signal(p.text("signal")?).map_err(Failure::new)?;
        let grace = p.filled("grace")?.as_f64().unwrap_or(f64::NAN);
        if !(0.0..=MAX_GRACE_SECS).contains(&grace) {
            return Err(Failure::new(format!(
                "grace must be between 0 and 3600 seconds, got {grace}"
            )));
        }
        Ok(KillArgs {
            wanted: wanted(p)?,
            signal,
            grace: Duration::from_secs_f64(grace),
            dir: async_dir(p)?,
        })
    }
}

/// async_task's two calls, with what each needs.
pub enum TaskStep {
    /// Before the start: decide, and claim the name when a job is to start.
    Claim {
        /// The token of the run this one waited for (`_after`).
        after: Option<Token>,
        /// The restart policy.
        restart: Restart,
        /// How long another run's claim blocks this one (`_claim_ttl`).
        ttl: Duration,
    },
    /// After the start: name the started job (`_jid`), or drop the claim when none started.
    Release {
        /// The job the wrapper started, if it did.
        jid: Option<Jid>,
    },
}

/// async_task's host-side options.
pub struct TaskArgs {
    /// The job's name.
    pub alias: AliasName,
    /// This run's claim token (`_token`).
    pub token: Token,
    /// Which of the two calls this is.
    pub step: TaskStep,
    /// The async dir, `~` expanded.
    pub dir: AsyncDir,
}

impl TaskArgs {
    /// Reads the validated options; refuses a bad alias, token, jid or async dir.
    pub fn from(p: &Params) -> Result<Self, Failure> {
        let alias = AliasName::parse(p.text("alias")?)?;
        let dir = async_dir(p)?;
        let token = Token::parse(p.text("_token")?)?;
        let after = p.str("_after").map(Token::parse).transpose()?;
        let jid = p.str("_jid").map(Jid::parse).transpose()?;
        let restart = Restart::parse(p.text("restart")?)
            .ok_or_else(|| Failure::new("internal error: restart is not one of its choices"))?;
        let ttl = p.integer("_claim_ttl")?.max(0);
        let step = match p.text("_mode")? {
            "release" => TaskStep::Release { jid },
            _ => TaskStep::Claim {
                after,
                restart,
                ttl: Duration::from_secs(ttl.unsigned_abs()),
            },
        };
        Ok(TaskArgs {
            alias,
            token,
            step,
            dir,
        })
    }
}

/// async_job_info's and async_prune's options.
pub struct InventoryArgs {
    /// Which jobs and names to list or remove.
    pub filter: Filter,
    /// The async dir, `~` expanded.
    pub dir: AsyncDir,
}

impl InventoryArgs {
    /// Reads the validated options; refuses an unknown state or a bad duration.
    pub fn from(p: &Params) -> Result<Self, Failure> {
        let states = match p.value("state").and_then(serde_json::Value::as_array) {
            Some(list) => {
                let names: Vec<String> = list
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect();
                Some(Filter::states(&names).map_err(Failure::new)?)
            }
            None => None,
        };
        let older_than = p
            .str("older_than")
            .map(parse_duration)
            .transpose()
            .map_err(Failure::new)?;
        Ok(InventoryArgs {
            filter: Filter {
                name: p.str("name").map(str::to_string),
                states,
                older_than,
            },
            dir: async_dir(p)?,
        })
    }
}
