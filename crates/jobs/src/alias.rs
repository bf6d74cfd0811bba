//! Aliases: `<async dir>/jid_<alias>` symlinks that give a job a name.

use crate::dir::AsyncDir;
use crate::error::{read_err, write_err, JobError, Result};
use crate::names::{AliasName, Jid, ALIAS_PREFIX};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct AliasLink {
    pub path: PathBuf,
    /// The link's target as stored (relative links are ours; absolute ones come from the spec's
    /// `file: state=link` recipe and the original module).
    pub target: PathBuf,
    /// Where the job file is, the target resolved against the async dir.
    pub job_path: PathBuf,
    /// The jid, when the target's file name is one.
    pub jid: Option<Jid>,
}

/// Reads an alias. `Ok(None)` when there is no such alias.
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
    let job_path = if target.is_absolute() {
        target.clone()
    } else {
        dir.path().join(&target)
    };
    let jid = target
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| Jid::parse(n).ok());
    Ok(Some(AliasLink {
        path: path.to_path_buf(),
        target,
        job_path,
        jid,
    }))
}

/// Points the alias at a job, atomically: a new link under a temporary name, then rename over the
/// old one, so a reader sees the old target or the new one, never no alias.
pub fn point(dir: &AsyncDir, alias: &AliasName, jid: &Jid) -> Result<PathBuf> {
    let path = dir.alias_file(alias);
    let tmp = dir
        .path()
        .join(format!(".{}.{}.tmp", alias.file_name(), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(jid.as_str(), &tmp).map_err(write_err(&tmp))?;
    if let Err(e) = std::fs::rename(&tmp, &path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(&path)(e));
    }
    sync_dir(dir.path());
    Ok(path)
}

/// Every alias in the dir whose target is this job's file.
pub fn pointing_to(dir: &AsyncDir, jid: &Jid) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir.path()) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(dir.path())(e)),
    };
    let job_file = dir.job_file(jid);
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
            if link.jid.as_ref() == Some(jid) && same_file_path(&link.job_path, &job_file) {
                found.push(link.path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Absolute links may name the dir through another spelling (`~` expanded differently, a
/// symlinked home); compare the directories by identity when the plain paths differ.
fn same_file_path(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (a.parent(), b.parent()) {
        (Some(pa), Some(pb)) => match (std::fs::canonicalize(pa), std::fs::canonicalize(pb)) {
            (Ok(ca), Ok(cb)) => ca == cb && a.file_name() == b.file_name(),
            _ => false,
        },
        _ => false,
    }
}

/// Makes a rename or unlink durable; a failure here only weakens crash safety, so it is ignored.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
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
        assert_eq!(link.jid, Some(j1.clone()));
        assert_eq!(link.job_path, d.join("j1.1"));
        point(&dir, &a, &j2).unwrap();
        assert_eq!(read(&dir, &a).unwrap().unwrap().jid, Some(j2.clone()));
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
}
