// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Removing a job's files.

use crate::alias;
use crate::claim;
use crate::dir::AsyncDir;
use crate::error::{JobError, Result};
use crate::inventory::claim_removable;
use crate::locate::Located;
use crate::names::{AliasName, Jid, ALIAS_PREFIX};
use crate::prune::STALE_CLAIM;
use safe_fs::sync_dir;
use std::collections::HashSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// How much a cleanup removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// By alias: the name only; by jid: the job file (the builtin's `mode=cleanup`).
    Cleanup,
    /// The job file, every alias that names the job with its claim file, and the wrapper's and
    /// async_kill's leftovers.
    Full,
}

/// The files a cleanup of `found` removes: those that exist now, each once. The caller checks
/// first that the job is not running.
pub fn plan(dir: &AsyncDir, found: &Located, scope: Scope) -> Result<Vec<PathBuf>> {
    let full = scope == Scope::Full;
    let mut planned: Vec<PathBuf> = Vec::new();
    if let (Some((_, path)), Some(_)) = (&found.alias, &found.link) {
        planned.push(path.clone());
    }
    if let Some(jid) = &found.jid {
        if full || found.alias.is_none() {
            let job_file = found.job.as_ref().map(|j| j.path.clone());
            planned.push(job_file.unwrap_or_else(|| dir.job_file(jid)));
        }
        if full {
            let names = alias::pointing_to(dir, jid)?;
            planned.extend(claims(dir, found, &names, jid)?);
            planned.extend(names);
            planned.extend(leftovers(dir, jid));
        }
    }
    let mut seen = HashSet::new();
    planned.retain(|path| unlinkable(path) && seen.insert(path.clone()));
    Ok(planned)
}

/// The `.jid_<alias>.claim` files of the job's names (and of the alias asked for) that go with
/// it: a released claim that names this job, or one no run can hold any more. A run starting a new
/// job under one of the names keeps its claim.
fn claims(dir: &AsyncDir, found: &Located, names: &[PathBuf], jid: &Jid) -> Result<Vec<PathBuf>> {
    let mut aliases: Vec<AliasName> = names
        .iter()
        .filter_map(|p| p.file_name()?.to_str()?.strip_prefix(ALIAS_PREFIX))
        .filter_map(|a| AliasName::parse(a).ok())
        .collect();
    if let Some((asked, _)) = &found.alias {
        aliases.push(asked.clone());
    }
    let mut out = Vec::new();
    for alias in aliases {
        if let Some(held) = claim::current(dir, &alias)? {
            if claim_removable(&held, |j| j == jid, STALE_CLAIM) {
                out.push(claim::claim_file(dir, &alias));
            }
        }
    }
    Ok(out)
}

/// A finished job's own files: its job file and its leftovers (no alias).
pub fn job_files(dir: &AsyncDir, jid: &Jid) -> Vec<PathBuf> {
    let mut paths = vec![dir.job_file(jid)];
    paths.extend(leftovers(dir, jid));
    paths
}

/// Files the wrapper and async_kill leave next to a job file when interrupted.
pub fn leftovers(dir: &AsyncDir, jid: &Jid) -> Vec<PathBuf> {
    ["tmp", "kill"]
        .iter()
        .map(|ext| dir.path().join(format!("{}.{ext}", jid.as_str())))
        .filter(|p| unlinkable(p))
        .collect()
}

/// Whether `path` is, by its own lstat, a regular file or a symlink: something a removal can
/// unlink. Anything else under one of our names (a directory, a fifo) is not ours; planning it
/// would promise a removal that can never happen.
pub fn unlinkable(path: &Path) -> bool {
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_file() || m.file_type().is_symlink())
}

/// What [`remove_all`] did.
#[derive(Debug, Default)]
pub struct Removal {
    /// The paths that existed and are now gone, in the order given.
    pub removed: Vec<PathBuf>,
    /// The paths that could not be removed, each with why ([`JobError::Remove`]).
    pub failed: Vec<JobError>,
}

impl Removal {
    /// The paths that could not be removed.
    pub fn failed_paths(&self) -> Vec<PathBuf> {
        self.failed
            .iter()
            .filter_map(|e| match e {
                JobError::Remove { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Removes the paths, carrying on past a path that cannot be removed: stopping there would hide
/// what was already removed and leave the rest for no reason.
pub fn remove_all(paths: &[PathBuf]) -> Removal {
    let mut out = Removal::default();
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => out.removed.push(path.clone()),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(source) => out.failed.push(JobError::Remove {
                path: path.clone(),
                source,
            }),
        }
    }
    if let Some(parent) = paths.first().and_then(|p| p.parent()) {
        sync_dir(parent);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn removing_leftovers_unlinks_names_never_link_targets() {
        let d = std::env::temp_dir().join(format!("jobs-cleanup-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let victim = d.with_extension("victim");
        fs::write(&victim, "keep").unwrap();
        let dir = AsyncDir::from_path(&d);
        let jid = Jid::parse("j8.8").unwrap();
        for name in ["j8.8", "j8.8.tmp", "j8.8.kill"] {
            std::os::unix::fs::symlink(&victim, d.join(name)).unwrap();
        }
        let paths = job_files(&dir, &jid);
        assert_eq!(paths.len(), 3);
        assert_eq!(remove_all(&paths).removed.len(), 3);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
        fs::remove_dir_all(&d).unwrap();
        fs::remove_file(&victim).unwrap();
    }

    #[test]
    fn removal_carries_on_past_a_path_it_cannot_remove_and_says_which() {
        let d = std::env::temp_dir().join(format!("jobs-cleanup-err-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("j1.1.tmp")).unwrap();
        fs::write(d.join("j1.1"), "{}").unwrap();
        fs::write(d.join("j1.1.kill"), "").unwrap();
        let paths = [d.join("j1.1"), d.join("j1.1.tmp"), d.join("j1.1.kill")];
        let r = remove_all(&paths);
        assert_eq!(r.removed, [d.join("j1.1"), d.join("j1.1.kill")]);
        assert_eq!(r.failed_paths(), [d.join("j1.1.tmp")]);
        assert!(r.failed[0].to_string().contains("could not remove"));
        assert!(d.join("j1.1.tmp").is_dir());
        // A planned cleanup never names the dir: it can never be unlinked.
        let dir = AsyncDir::from_path(&d);
        let jid = Jid::parse("j1.1").unwrap();
        fs::write(d.join("j1.1"), "{}").unwrap();
        assert_eq!(leftovers(&dir, &jid), Vec::<PathBuf>::new());
        assert_eq!(job_files(&dir, &jid), [d.join("j1.1")]);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn plans_by_scope_and_by_what_was_named() {
        use crate::locate::{locate, Wanted};
        let d = std::env::temp_dir().join(format!("jobs-plan-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        fs::write(d.join("j3.3"), r#"{"finished": 1}"#).unwrap();
        fs::write(d.join("j3.3.kill"), "").unwrap();
        std::os::unix::fs::symlink("j3.3", d.join("jid_a")).unwrap();
        std::os::unix::fs::symlink(d.join("j3.3"), d.join("jid_b")).unwrap();
        // Released claims: a's names this job; b's names another job, so it stays (runs that
        // waited on it attach to that one). A fresh claim on c is a start in progress.
        let token = crate::Token::parse("aaaaaaaa01").unwrap();
        let claim_of = |a: &str| claim::claim_file(&dir, &AliasName::parse(a).unwrap());
        let started = |j: &str| claim::Claim::Started(token.clone(), Jid::parse(j).unwrap());
        fs::write(claim_of("a"), started("j3.3").format()).unwrap();
        fs::write(claim_of("b"), started("j7.7").format()).unwrap();
        std::os::unix::fs::symlink("j3.3", d.join("jid_c")).unwrap();
        fs::write(claim_of("c"), claim::Claim::Claimed(token.clone()).format()).unwrap();
        let found =
            |a: Option<&str>, j: Option<&str>| locate(&dir, Wanted::parse(a, j).unwrap()).unwrap();
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            let mut n: Vec<String> = v
                .iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        assert_eq!(
            names(plan(&dir, &found(Some("a"), None), Scope::Cleanup).unwrap()),
            ["jid_a"]
        );
        assert_eq!(
            names(plan(&dir, &found(None, Some("j3.3")), Scope::Cleanup).unwrap()),
            ["j3.3"]
        );
        assert_eq!(
            names(plan(&dir, &found(Some("a"), None), Scope::Full).unwrap()),
            [
                ".jid_a.claim",
                "j3.3",
                "j3.3.kill",
                "jid_a",
                "jid_b",
                "jid_c"
            ]
        );
        // Cleanup (not full) keeps every claim.
        assert!(
            !names(plan(&dir, &found(Some("a"), None), Scope::Cleanup).unwrap())
                .iter()
                .any(|n| n.ends_with(".claim"))
        );
        assert!(plan(&dir, &found(Some("nobody"), None), Scope::Full)
            .unwrap()
            .is_empty());
        assert!(plan(&dir, &found(None, Some("j4.4")), Scope::Full)
            .unwrap()
            .is_empty());
        fs::remove_dir_all(&d).unwrap();
    }
}
