// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Aliases: `<async dir>/jid_<alias>` symlinks that give a job a name.

use crate::dir::AsyncDir;
use crate::error::{read_err, write_err, JobError, Result};
use crate::names::{AliasName, Jid, ALIAS_PREFIX};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// An alias symlink as read, with the job it leads to.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasLink {
    /// The link itself: `<async dir>/jid_<alias>`.
    pub path: PathBuf,
    /// The link's target as stored: a bare jid (ours), or the absolute path of a job file in this
    /// same dir (the spec's `file: state=link` recipe and the original module).
    pub target: PathBuf,
    /// `<async dir>/<jid>`: the only file an alias ever leads to, whatever spelling it uses.
    pub job_path: PathBuf,
    /// The job the alias names.
    pub jid: Jid,
}

/// Reads an alias. `Ok(None)` when there is no such alias; `BrokenAlias` when its target is
/// anything but a job file directly inside this async dir.
pub fn read(dir: &AsyncDir, alias: &AliasName) -> Result<Option<AliasLink>> {
    read_link(dir, &dir.alias_file(alias))
}

fn read_link(dir: &AsyncDir, path: &Path) -> Result<Option<AliasLink>> {
    let target = match std::fs::read_link(path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == ErrorKind::InvalidInput => {
            return Err(JobError::NotAnAlias(path.to_path_buf()))
        }
        Err(e) => return Err(read_err(path)(e)),
    };
    let jid = confined_jid(dir, &target).ok_or_else(|| JobError::BrokenAlias {
        link: path.to_path_buf(),
        target: target.to_string_lossy().into_owned(),
    })?;
    Ok(Some(AliasLink {
        path: path.to_path_buf(),
        job_path: dir.job_file(&jid),
        target,
        jid,
    }))
}

/// The jid a link target names, if it names a job file directly inside `dir`: a bare jid, or an
/// absolute path whose parent is `dir` itself. The caller opens `<dir>/<jid>` by name, never the
/// target, so a parent that reaches `dir` through a symlink cannot lead anywhere else.
pub fn confined_jid(dir: &AsyncDir, target: &Path) -> Option<Jid> {
    let text = target.to_str()?;
    if let Ok(jid) = Jid::parse(text) {
        return Some(jid);
    }
    if !target.is_absolute() || text.ends_with('/') {
        return None;
    }
    let jid = Jid::parse(target.file_name()?.to_str()?).ok()?;
    let parent = target.parent()?;
    if parent.components().any(|c| c == Component::ParentDir) {
        return None;
    }
    (parent == dir.path() || same_dir(parent, dir.path())).then_some(jid)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => ma.is_dir() && ma.dev() == mb.dev() && ma.ino() == mb.ino(),
        _ => false,
    }
}

/// Points the alias at a job, atomically: a new link under a temporary name, then rename over the
/// old one, so a reader sees the old target or the new one, never no alias.
pub fn point(dir: &AsyncDir, alias: &AliasName, jid: &Jid) -> Result<PathBuf> {
    let path = dir.alias_file(alias);
    let tmp = dir
        .path()
        .join(format!(".{}.{}.tmp", alias.file_name(), std::process::id()));
    safe_fs::replace_symlink(Path::new(jid.as_str()), &path, &tmp).map_err(write_err(&path))?;
    Ok(path)
}

/// Every alias in the dir whose target is this job's file.
pub fn pointing_to(dir: &AsyncDir, jid: &Jid) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir.path()) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(dir.path())(e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(ALIAS_PREFIX)
        {
            continue;
        }
        if let Ok(Some(link)) = read_link(dir, &entry.path()) {
            if &link.jid == jid {
                found.push(link.path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("jobs-alias-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn point_read_repoint_and_find() {
        let d = tmpdir("basic");
        let dir = AsyncDir::from_path(&d);
        let a = AliasName::parse("blah").unwrap();
        let j1 = Jid::parse("j1.1").unwrap();
        let j2 = Jid::parse("j2.2").unwrap();
        assert!(read(&dir, &a).unwrap().is_none());
        point(&dir, &a, &j1).unwrap();
        let link = read(&dir, &a).unwrap().unwrap();
        assert_eq!(link.jid, j1);
        assert_eq!(link.job_path, d.join("j1.1"));
        point(&dir, &a, &j2).unwrap();
        assert_eq!(read(&dir, &a).unwrap().unwrap().jid, j2);
        // An absolute link made the spec's way (file: state=link) is found too.
        std::os::unix::fs::symlink(d.join("j2.2"), d.join("jid_other")).unwrap();
        assert_eq!(
            pointing_to(&dir, &j2).unwrap(),
            vec![d.join("jid_blah"), d.join("jid_other")]
        );
        assert!(pointing_to(&dir, &j1).unwrap().is_empty());
        // No temp links are left behind.
        let leftovers: Vec<_> = fs::read_dir(&d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_regular_file_is_not_an_alias() {
        let d = tmpdir("file");
        let dir = AsyncDir::from_path(&d);
        fs::write(d.join("jid_x"), "x").unwrap();
        let a = AliasName::parse("x").unwrap();
        assert!(matches!(read(&dir, &a), Err(JobError::NotAnAlias(_))));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn links_that_leave_the_dir_are_broken_and_never_followed() {
        let d = tmpdir("broken");
        let dir = AsyncDir::from_path(d.join("async"));
        fs::create_dir_all(d.join("async")).unwrap();
        fs::create_dir_all(d.join("elsewhere")).unwrap();
        fs::write(d.join("elsewhere/j1.1"), "{}").unwrap();
        let outside = d.join("elsewhere/j1.1");
        let climbing = format!("../{}/async/j1.1", d.file_name().unwrap().to_str().unwrap());
        for (name, target) in [
            ("rel", "../elsewhere/j1.1".to_string()),
            ("abs", outside.to_string_lossy().into_owned()),
            ("dotdot", "..".to_string()),
            ("sub", "sub/j1.1".to_string()),
            ("notjid", "passwd".to_string()),
            ("climb", climbing),
            (
                "abs_dotdot",
                format!("{}/async/../elsewhere/j1.1", d.display()),
            ),
            ("abs_slash", format!("{}/async/j1.1/", d.display())),
        ] {
            std::os::unix::fs::symlink(&target, d.join(format!("async/jid_{name}"))).unwrap();
            let a = AliasName::parse(name).unwrap();
            match read(&dir, &a) {
                Err(JobError::BrokenAlias { link, target: t }) => {
                    assert_eq!(link, d.join(format!("async/jid_{name}")));
                    assert_eq!(t, target);
                    let msg = JobError::BrokenAlias { link, target: t }.to_string();
                    assert!(msg.contains(&format!("jid_{name}")), "{msg}");
                }
                other => panic!("{name} -> {target}: {other:?}"),
            }
        }
        // None of them counts as pointing to a job.
        assert!(pointing_to(&dir, &Jid::parse("j1.1").unwrap())
            .unwrap()
            .is_empty());
        assert_eq!(fs::read_to_string(&outside).unwrap(), "{}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_absolute_link_into_the_same_dir_leads_to_the_job_file_by_name() {
        let d = tmpdir("abs");
        let dir = AsyncDir::from_path(&d);
        std::os::unix::fs::symlink(d.join("j3.3"), d.join("jid_abs")).unwrap();
        let link = read(&dir, &AliasName::parse("abs").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(link.job_path, d.join("j3.3"));
        assert_eq!(link.jid.as_str(), "j3.3");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn pointing_never_goes_through_a_planted_temp_link() {
        let d = tmpdir("tmplink");
        let dir = AsyncDir::from_path(&d);
        let victim = d.with_extension("victim");
        fs::write(&victim, "keep").unwrap();
        let a = AliasName::parse("t").unwrap();
        let tmp = d.join(format!(".jid_t.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        point(&dir, &a, &Jid::parse("j4.4").unwrap()).unwrap();
        assert_eq!(
            fs::read_link(d.join("jid_t")).unwrap(),
            PathBuf::from("j4.4")
        );
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert!(tmp.symlink_metadata().is_err());
        fs::remove_dir_all(&d).unwrap();
        fs::remove_file(&victim).unwrap();
    }
}
