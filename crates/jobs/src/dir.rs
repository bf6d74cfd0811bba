// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The async dir, resolved on the host exactly as the async wrapper resolves it.

use crate::error::{JobError, Result};
use crate::names::{AliasName, Jid};
use safe_fs::DirLock;
use std::path::{Path, PathBuf};

/// The directory the async wrapper writes job files into (`ANSIBLE_ASYNC_DIR`, by default
/// `~/.ansible_async`), and where aliases and claims live next to them.
#[derive(Clone, Debug)]
pub struct AsyncDir(PathBuf);

impl AsyncDir {
    /// Expands `~` and `~user` the way Python's `os.path.expanduser` does in the wrapper: `$HOME` for
    /// the current user, the password database otherwise. Running as the same (become) user with the
    /// same environment as the wrapper makes both land in the same directory.
    pub fn resolve(raw: &str) -> Result<AsyncDir> {
        let bad = |why: &str| JobError::BadDir(raw.to_string(), why.to_string());
        if raw.is_empty() {
            return Err(bad("it is empty"));
        }
        if raw.contains('\0') {
            return Err(bad("it contains a NUL byte"));
        }
        let Some(rest) = raw.strip_prefix('~') else {
            return Ok(AsyncDir(PathBuf::from(raw)));
        };
        let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let home = if user.is_empty() {
            match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
                Some(h) => PathBuf::from(h),
                None => home_of(None)
                    .ok_or_else(|| bad("no HOME and no password entry for the current user"))?,
            }
        } else {
            home_of(Some(user)).ok_or_else(|| bad(&format!("no such user '{user}'")))?
        };
        Ok(AsyncDir(if tail.is_empty() {
            home
        } else {
            home.join(tail)
        }))
    }

    /// Takes a path as it is, with no `~` expansion (tests, and callers that resolved it already).
    pub fn from_path(path: impl Into<PathBuf>) -> AsyncDir {
        AsyncDir(path.into())
    }
    /// The resolved directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// `<dir>/<jid>`: where the wrapper writes this job's result.
    pub fn job_file(&self, jid: &Jid) -> PathBuf {
        self.0.join(jid.as_str())
    }
    /// `<dir>/jid_<alias>`: where this alias's symlink lives.
    pub fn alias_file(&self, alias: &AliasName) -> PathBuf {
        self.0.join(alias.file_name())
    }

    /// Locks the dir, creating it (0700, as the wrapper's user) when it does not exist yet. Every
    /// decision about a name (claim, alias, cleanup) is made while holding it, so of two runs
    /// racing for one name only one can see it free.
    pub fn lock(&self) -> Result<DirLock> {
        DirLock::create_and_lock(&self.0, 0o700).map_err(|source| match self.not_a_dir() {
            Some(blocker) => JobError::NotADir {
                dir: self.0.clone(),
                blocker,
            },
            None => JobError::Write {
                path: self.0.clone(),
                source,
            },
        })
    }

    /// The nearest of the dir and its parents that exists as something else than a directory
    /// (mkdir then says "File exists" or "Not a directory", which names neither).
    fn not_a_dir(&self) -> Option<PathBuf> {
        self.0
            .ancestors()
            .find(|p| p.metadata().is_ok())
            .filter(|p| p.metadata().is_ok_and(|m| !m.is_dir()))
            .map(Path::to_path_buf)
    }
}

fn home_of(user: Option<&str>) -> Option<PathBuf> {
    use nix::unistd::{Uid, User};
    let entry = match user {
        Some(name) => User::from_name(name).ok().flatten(),
        None => User::from_uid(Uid::current()).ok().flatten(),
    };
    entry.map(|u| u.dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_tilde_like_python() {
        let home = std::env::var("HOME").unwrap_or_default();
        if !home.is_empty() {
            let d = AsyncDir::resolve("~/.ansible_async").unwrap();
            assert_eq!(d.path(), Path::new(&home).join(".ansible_async"));
        }
        let root_home = AsyncDir::resolve("~root/x").unwrap();
        assert!(root_home.path().ends_with("x"));
        assert!(root_home.path().starts_with("/"));
        assert_eq!(
            AsyncDir::resolve("/var/tmp/a").unwrap().path(),
            Path::new("/var/tmp/a")
        );
        assert!(AsyncDir::resolve("~no_such_user_here/x").is_err());
        assert!(AsyncDir::resolve("").is_err());
    }

    #[test]
    fn a_file_where_the_dir_should_be_is_named() {
        let f = std::env::temp_dir().join(format!("jobs-dir-file-{}", std::process::id()));
        std::fs::write(&f, "").unwrap();
        for dir in [f.clone(), f.join("sub")] {
            let Err(err) = AsyncDir::from_path(&dir).lock() else {
                panic!("locked a dir behind a file")
            };
            let err = err.to_string();
            let says = format!(
                "the async dir {} is not a directory ({} is a file)",
                dir.display(),
                f.display()
            );
            assert!(err.starts_with(&says), "{err}");
        }
        std::fs::remove_file(&f).unwrap();
    }

    #[test]
    fn lock_creates_a_private_dir() {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("jobs-dir-mkdir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let _l = AsyncDir::from_path(&d).lock().unwrap();
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
