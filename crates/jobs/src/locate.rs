// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Finding a job by what a task names: an alias or a jid. Every module that takes either asks
//! here, so an alias means the same thing to status, kill, cleanup and async_task.

use crate::alias::{self, AliasLink};
use crate::dir::AsyncDir;
use crate::error::Result;
use crate::names::{AliasName, Jid};
use crate::status::{probe, Job};
use std::path::PathBuf;

/// What a task named.
#[derive(Debug, Clone, PartialEq)]
pub enum Wanted {
    /// A job by its alias (`jid_<alias>` in the dir).
    Alias(AliasName),
    /// A job by its jid.
    Jid(Jid),
}

impl Wanted {
    /// The alias when one is given (the modules make the two mutually exclusive), else the jid.
    /// Both are validated here, before anything is read.
    pub fn parse(alias: Option<&str>, jid: Option<&str>) -> Result<Wanted> {
        match alias {
            Some(a) => AliasName::parse(a).map(Wanted::Alias),
            None => Jid::parse(jid.unwrap_or_default()).map(Wanted::Jid),
        }
    }
}

/// What was found behind the name. Every field may be missing: an alias that names nothing, an
/// alias whose job file is gone, a jid with no file.
#[derive(Debug, Clone)]
pub struct Located {
    /// The alias asked for, and where its link lives.
    pub alias: Option<(AliasName, PathBuf)>,
    /// The alias's link, when it exists.
    pub link: Option<AliasLink>,
    /// The jid asked for, or the one the alias leads to.
    pub jid: Option<Jid>,
    /// The job, when its file exists.
    pub job: Option<Job>,
}

/// Follows an alias (confined to the dir, see [`confined_jid`](crate::confined_jid)) or takes the jid, then reads the
/// job. A broken alias is an error, never followed.
pub fn locate(dir: &AsyncDir, wanted: Wanted) -> Result<Located> {
    let (alias, link, jid) = match wanted {
        Wanted::Alias(name) => {
            let link = alias::read(dir, &name)?;
            let jid = link.as_ref().map(|l| l.jid.clone());
            let path = dir.alias_file(&name);
            (Some((name, path)), link, jid)
        }
        Wanted::Jid(jid) => (None, None, Some(jid)),
    };
    let job = match &jid {
        Some(j) => probe(dir, j)?,
        None => None,
    };
    Ok(Located {
        alias,
        link,
        jid,
        job,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn by_alias_by_jid_and_neither() {
        let d = std::env::temp_dir().join(format!("jobs-locate-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        fs::write(d.join("j5.5"), r#"{"finished": 1, "rc": 0}"#).unwrap();
        std::os::unix::fs::symlink("j5.5", d.join("jid_five")).unwrap();
        std::os::unix::fs::symlink("j6.6", d.join("jid_gone")).unwrap();

        let five = locate(&dir, Wanted::parse(Some("five"), Some("j9.9")).unwrap()).unwrap();
        assert_eq!(five.jid.as_ref().map(Jid::as_str), Some("j5.5"));
        assert!(five.job.as_ref().is_some_and(|j| j.is_finished()));
        assert_eq!(
            five.alias.as_ref().map(|a| a.1.clone()),
            Some(d.join("jid_five"))
        );

        let gone = locate(&dir, Wanted::parse(Some("gone"), None).unwrap()).unwrap();
        assert!(gone.link.is_some() && gone.job.is_none());
        let none = locate(&dir, Wanted::parse(Some("none"), None).unwrap()).unwrap();
        assert!(none.link.is_none() && none.jid.is_none() && none.job.is_none());
        let by_jid = locate(&dir, Wanted::parse(None, Some("j5.5")).unwrap()).unwrap();
        assert!(by_jid.alias.is_none() && by_jid.job.is_some());

        assert!(Wanted::parse(None, None).is_err());
        assert!(Wanted::parse(Some("../x"), None).is_err());
        std::os::unix::fs::symlink("/etc/passwd", d.join("jid_evil")).unwrap();
        assert!(locate(&dir, Wanted::parse(Some("evil"), None).unwrap()).is_err());
        fs::remove_dir_all(&d).unwrap();
    }
}
