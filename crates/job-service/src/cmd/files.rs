// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Who may change the files the service trusts: the data dir and the embedded store's database.
//! Another local user who can write either can plant a token, swap the database for a link to a
//! file of the service user's, or read every job's extra vars; each check says the fix.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::CommandError;

/// A directory the service writes secrets and state into: this user's, and writable by nobody
/// else (who could plant or swap files in it between our checks).
pub fn check_dir(dir: &Path, flag: &str) -> Result<(), CommandError> {
    let bad = |why: String| CommandError::Usage(format!("{flag} {}: {why}", dir.display()));
    let meta = std::fs::metadata(dir).map_err(|e| bad(e.to_string()))?;
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(bad(format!(
            "owned by uid {}, not by this user ({me}), who could read or replace the token and the jobs in it: chown {me} it, or give a directory of this user's",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(bad(format!(
            "mode {mode:o}, writable by group or others, who could plant a token or swap files in it: run chmod go-w on it"
        )));
    }
    Ok(())
}

/// The embedded store's database (`sqlite:PATH`, or `<data-dir>/jobs.sqlite3`): an absolute
/// path (under systemd the working directory is `/`), in a directory only this user may write,
/// and, when it exists, a regular file of this user's (not a symlink) that nobody else may
/// write. A file others may read (older releases created 0644) is opened with a warning, so an
/// old data dir still starts.
pub fn check_database(path: &Path, flag: &str) -> Result<(), CommandError> {
    let bad = |why: String| CommandError::Usage(format!("{flag} sqlite:{}: {why}", path.display()));
    if !path.is_absolute() {
        return Err(bad(
            "a relative path (under systemd the working directory is /): give an absolute path, sqlite:/var/lib/ansible-job-service/jobs.sqlite3".into(),
        ));
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    check_dir(
        parent,
        &format!("{flag} sqlite:{}: its directory", path.display()),
    )?;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(bad(e.to_string())),
    };
    if meta.file_type().is_symlink() {
        return Err(bad(
            "a symlink, which another user may point at a file of this user's: give the real file's path".into(),
        ));
    }
    if !meta.is_file() {
        return Err(bad("not a regular file: give the database file".into()));
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(bad(format!(
            "owned by uid {}, not by this user ({me}): chown {me} it, or give a file of this user's",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(bad(format!(
            "mode {mode:o}, writable by group or others, who could change the jobs it holds: run chmod 600 on it"
        )));
    }
    if mode & 0o044 != 0 {
        tracing::warn!(
            "{flag} sqlite:{}: mode {mode:o}, readable by group or others, who can read every job's extra vars and output: run chmod 600 on it (and on its -wal and -shm files)",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn usage(r: Result<(), CommandError>) -> String {
        match r {
            Err(CommandError::Usage(m)) => m,
            Err(CommandError::Runtime(m)) => panic!("runtime error: {m}"),
            Ok(()) => panic!("accepted"),
        }
    }

    #[test]
    fn a_directory_others_may_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        check_dir(dir.path(), "--data-dir").unwrap();
        for mode in [0o770, 0o707, 0o1777] {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let m = usage(check_dir(dir.path(), "--data-dir"));
            assert!(m.contains("chmod go-w") && m.contains("--data-dir"), "{m}");
        }
    }

    #[test]
    fn databases_relative_linked_or_writable_by_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let db = dir.path().join("jobs.sqlite3");
        check_database(&db, "--store").unwrap();
        assert!(usage(check_database(Path::new("jobs.db"), "--store")).contains("absolute path"));
        std::fs::write(&db, "").unwrap();
        for (mode, ok) in [(0o600, true), (0o644, true), (0o620, false), (0o602, false)] {
            std::fs::set_permissions(&db, std::fs::Permissions::from_mode(mode)).unwrap();
            let r = check_database(&db, "--store");
            assert_eq!(r.is_ok(), ok, "mode {mode:o}: {r:?}");
        }
        let link = dir.path().join("link.sqlite3");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        assert!(usage(check_database(&link, "--store")).contains("symlink"));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(usage(check_database(&db, "--store")).contains("chmod go-w"));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}
