// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Each module's options, typed. The spec (specs.rs) owns every default and every choice; these
//! structs only read what validation filled in, then check what the spec cannot (names, tokens,
//! signals), so every input is refused before anything is read or written.

use jobs::cleanup::Scope;
use jobs::start::Restart;
use jobs::{parse_signal, AliasName, AsyncDir, Jid, Token, Wanted};
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
    pub wanted: Wanted,
    pub cleanup: Option<Scope>,
    pub dir: AsyncDir,
}

impl StatusArgs {
    pub fn from(p: &Params) -> Result<Self, Failure> {
        let cleanup = match p.text("mode")? {
            "cleanup" => Some(Scope::Cleanup),
            "full_cleanup" => Some(Scope::Full),
            _ => None,
        };
        Ok(StatusArgs {
            wanted: wanted(p)?,
            cleanup,
            dir: async_dir(p)?,
        })
    }
}

pub struct AliasArgs {
    pub alias: AliasName,
    pub jid: Jid,
    pub force: bool,
    pub dir: AsyncDir,
}

impl AliasArgs {
    pub fn from(p: &Params) -> Result<Self, Failure> {
        Ok(AliasArgs {
            alias: AliasName::parse(p.text("alias")?)?,
            jid: Jid::parse(p.text("jid")?)?,
            force: p.bool("force"),
            dir: async_dir(p)?,
        })
    }
}

pub struct KillArgs {
    pub wanted: Wanted,
    pub signal: Signal,
    pub grace: Duration,
    pub dir: AsyncDir,
}

/// Longer than any shutdown a job deserves; a typo like 36000 is refused, not waited out.
const MAX_GRACE_SECS: f64 = 3600.0;

impl KillArgs {
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
    Claim {
        after: Option<Token>,
        restart: Restart,
        ttl: Duration,
    },
    Release {
        jid: Option<Jid>,
    },
}

pub struct TaskArgs {
    pub alias: AliasName,
    pub token: Token,
    pub step: TaskStep,
    pub dir: AsyncDir,
}

impl TaskArgs {
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
