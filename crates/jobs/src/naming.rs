// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Giving a job a name (async_alias): the checks and the move of the link, under the dir's lock.

use crate::alias;
use crate::dir::AsyncDir;
use crate::error::JobError;
use crate::names::{AliasName, Jid};
use crate::status::probe;

/// What naming did (or, in check mode, would do).
#[derive(Debug, Default)]
pub struct Named {
    /// False when the alias already named this job.
    pub changed: bool,
    /// The job the alias named before, when it was another one.
    pub previous: Option<Jid>,
    /// What the user should know: a broken link replaced, a running job left without its name.
    pub warnings: Vec<String>,
}

/// Why a job was not named.
#[derive(Debug, thiserror::Error)]
pub enum NameRefused {
    #[error("could not find job {jid} in {dir}: a job must exist before it can be named")]
    /// The job to name has no file in the async dir.
    NoSuchJob {
        /// The job asked for.
        jid: Jid,
        /// The async dir, for the message.
        dir: String,
    },
    /// The alias exists but cannot be read as one of ours (broken without force, not a link).
    #[error(transparent)]
    Alias(JobError),
    #[error(
        "alias '{alias}' already names job {other}, which is still running; wait for it, clean \
         it up, or set force=true to move the alias"
    )]
    /// The alias names another job that is still running, and `force` was not given.
    StillRunning {
        /// The alias asked for.
        alias: AliasName,
        /// The running job it names now.
        other: Jid,
    },
    /// Reading or writing failed.
    #[error(transparent)]
    Io(JobError),
}

/// Points `alias` at `jid`. Reads, checks and points under the lock async_task and cleanup take,
/// so that of two calls racing for one name only one can see it free. No lock in check mode, nor
/// when the dir is missing (the job cannot exist then, and locking would create the dir).
pub fn name_job(
    dir: &AsyncDir,
    alias: &AliasName,
    jid: &Jid,
    force: bool,
    check_mode: bool,
) -> Result<Named, NameRefused> {
    let _lock = if !check_mode && dir.path().is_dir() {
        Some(dir.lock().map_err(NameRefused::Io)?)
    } else {
        None
    };
    if probe(dir, jid).map_err(NameRefused::Io)?.is_none() {
        return Err(NameRefused::NoSuchJob {
            jid: jid.clone(),
            dir: dir.path().display().to_string(),
        });
    }
    let mut named = Named::default();
    let current = match alias::read(dir, alias) {
        Ok(link) => link,
        // A broken alias leads nowhere: force may replace the link itself, nothing else.
        Err(e @ JobError::BrokenAlias { .. }) if force => {
            named.warnings.push(format!("replaced the {e}"));
            None
        }
        Err(e) => return Err(NameRefused::Alias(e)),
    };
    if let Some(link) = current {
        let other = link.jid;
        if &other == jid {
            return Ok(named);
        }
        if probe(dir, &other)
            .map_err(NameRefused::Io)?
            .is_some_and(|job| job.is_live())
        {
            if !force {
                return Err(NameRefused::StillRunning {
                    alias: alias.clone(),
                    other,
                });
            }
            named.warnings.push(format!(
                "alias '{alias}' moved away from job {other}, which is still running"
            ));
        }
        named.previous = Some(other);
    }
    if !check_mode {
        alias::point(dir, alias, jid).map_err(NameRefused::Io)?;
    }
    named.changed = true;
    Ok(named)
}
