// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The filesystem store: `<state_dir>/<host>/<playbook>/<job>.json`, directories 0700, files 0600.
//!
//! Writes go to a temp file in the same directory, are fsynced, renamed over the record and the
//! directory is fsynced: a crash leaves the old record or the new one, never a torn one. Writers
//! of one playbook directory take an exclusive flock on it, which makes create-only claims and
//! stale-claim takeovers atomic between processes; readers need no lock, since rename is atomic.
//!
//! The state dir may be shared with others who can write into it, so nothing below it is ever
//! followed: each level is opened relative to the descriptor of the one above with O_NOFOLLOW,
//! and every later step (read, temp file, rename, unlink, lock) works on those descriptors. A
//! link swapped in after a check therefore cannot redirect the step that follows it.
//!
//! Nor is a directory below it trusted that someone else could write into: each must belong to
//! this user or root and be writable by neither group nor others, as sshd's StrictModes wants of a
//! home. Otherwise another user of a shared (1777) state dir could make `<host>/<playbook>/` first
//! and plant records in it: a job id of her choosing to load, a claim that refuses ours.

use crate::error::RecordStoreError;
use crate::key::RecordKey;
use crate::record::Record;
use crate::store::{RecordStore, SaveMode, SaveOutcome, Stored};
use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, mkdirat, FileStat, Mode, SFlag};
use nix::unistd::{fsync, geteuid, unlinkat, UnlinkatFlags};
use safe_fs::{write_atomic_at, DirLock, TempName};
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Records as files: `<state_dir>/<host>/<playbook>/<job>.json`, written atomically under a
/// directory lock, and nothing below the state dir ever followed if it is a link.
pub struct FsStore {
    root: PathBuf,
}

/// Whether an I/O failure is reported as a read or a write.
#[derive(Clone, Copy)]
enum Op {
    Read,
    Write,
}

fn io_err(op: Op, path: &Path, source: std::io::Error) -> RecordStoreError {
    let path = path.to_path_buf();
    match op {
        Op::Read => RecordStoreError::Read { path, source },
        Op::Write => RecordStoreError::Write { path, source },
    }
}

fn errno_err(op: Op, path: &Path, errno: Errno) -> RecordStoreError {
    io_err(op, path, std::io::Error::from(errno))
}

fn unsafe_path(path: &Path, why: &str) -> RecordStoreError {
    RecordStoreError::Unsafe {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

fn kind(st: &FileStat) -> SFlag {
    SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits())
}

/// What the entry `name` in `dir` is, without following it.
fn lstat_at(dir: &OwnedFd, name: &str) -> Result<FileStat, Errno> {
    fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
}

impl FsStore {
    /// A store rooted at the state dir. Nothing is touched until the first call.
    pub fn new(root: impl Into<PathBuf>) -> FsStore {
        FsStore { root: root.into() }
    }

    fn dir(&self, key: &RecordKey) -> PathBuf {
        self.root.join(&key.host).join(&key.playbook)
    }

    /// `<state_dir>/<host>/<playbook>/<job>.json`: where the record for `key` lives.
    pub fn path(&self, key: &RecordKey) -> PathBuf {
        self.dir(key).join(Self::file_name(key))
    }

    fn file_name(key: &RecordKey) -> String {
        format!("{}.json", key.job)
    }

    /// The state dir is the user's choice and is followed as given. `None`: it does not exist.
    fn open_root(&self, op: Op) -> Result<Option<OwnedFd>, RecordStoreError> {
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags((OFlag::O_DIRECTORY | OFlag::O_CLOEXEC).bits())
            .open(&self.root);
        match opened {
            Ok(f) => Ok(Some(OwnedFd::from(f))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.blocked().unwrap_or_else(|| io_err(op, &self.root, e))),
        }
    }

    /// The error for a state dir that is a file, or has a file on its path (mkdir and open then
    /// say "File exists" or "Not a directory", naming neither the option nor the file).
    fn blocked(&self) -> Option<RecordStoreError> {
        self.root
            .ancestors()
            .find(|p| p.metadata().is_ok())
            .filter(|p| p.metadata().is_ok_and(|m| !m.is_dir()))
            .map(|blocker| RecordStoreError::NotADir {
                state_dir: self.root.clone(),
                blocker: blocker.to_path_buf(),
            })
    }

    /// What async_task checks before it starts a job, touching nothing: the state dir is a
    /// directory or can be made (no file on its path), and the host and playbook directories,
    /// where they exist, are real directories nobody else can write into. A save would fail on
    /// each of these only after the job had started.
    pub fn check(&self, key: &RecordKey) -> Result<(), RecordStoreError> {
        if let Some(blocked) = self.blocked() {
            return Err(blocked);
        }
        self.open_playbook_dir(key, Op::Read).map(|_| ())
    }

    /// Refuses a directory someone else could write records into (see the module's comment).
    fn check_owner(fd: &OwnedFd, path: &Path, op: Op) -> Result<(), RecordStoreError> {
        let st = fstat(fd).map_err(|e| errno_err(op, path, e))?;
        let me = geteuid().as_raw();
        if st.st_uid != me && st.st_uid != 0 {
            return Err(unsafe_path(
                path,
                &format!(
                    "it belongs to another user (uid {}), who could plant or change records in it; \
                     only directories of this user (uid {me}) or root are trusted below the state dir. \
                     Have it removed (its owner or root), or use a state_dir of your own",
                    st.st_uid
                ),
            ));
        }
        if st.st_mode & 0o022 != 0 {
            return Err(unsafe_path(
                path,
                &format!(
                    "it is writable by group or others (mode {:o}), who could plant or change \
                     records in it; chmod go-w it",
                    st.st_mode & 0o7777
                ),
            ));
        }
        Ok(())
    }

    /// Opens the real directory `name` inside `parent` (created first if `create`), never a
    /// symbolic link. `None`: it does not exist and was not to be created.
    fn open_dir(
        parent: &OwnedFd,
        parent_path: &Path,
        name: &str,
        create: bool,
        op: Op,
    ) -> Result<Option<OwnedFd>, RecordStoreError> {
        let path = parent_path.join(name);
        if create {
            match mkdirat(parent, name, Mode::from_bits_truncate(0o700)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(errno_err(op, &path, e)),
            }
        }
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        match openat(parent, name, flags, Mode::empty()) {
            Ok(fd) => {
                Self::check_owner(&fd, &path, op)?;
                Ok(Some(fd))
            }
            Err(Errno::ENOENT) if !create => Ok(None),
            Err(e @ (Errno::ELOOP | Errno::ENOTDIR)) => match lstat_at(parent, name) {
                Ok(st) if kind(&st) == SFlag::S_IFLNK => Err(unsafe_path(
                    &path,
                    "it is a symbolic link where a directory belongs",
                )),
                Ok(_) => Err(unsafe_path(&path, "it is not a directory")),
                Err(_) => Err(errno_err(op, &path, e)),
            },
            Err(e) => Err(errno_err(op, &path, e)),
        }
    }

    /// The playbook directory of `key`, opened through real directories only.
    fn open_playbook_dir(
        &self,
        key: &RecordKey,
        op: Op,
    ) -> Result<Option<OwnedFd>, RecordStoreError> {
        let Some(root) = self.open_root(op)? else {
            return Ok(None);
        };
        let Some(host) = Self::open_dir(&root, &self.root, &key.host, false, op)? else {
            return Ok(None);
        };
        let host_path = self.root.join(&key.host);
        Self::open_dir(&host, &host_path, &key.playbook, false, op)
    }

    fn ensure_dirs(&self, key: &RecordKey) -> Result<OwnedFd, RecordStoreError> {
        match DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
        {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(self
                    .blocked()
                    .unwrap_or_else(|| io_err(Op::Write, &self.root, e)))
            }
        }
        let root = self
            .open_root(Op::Write)?
            .ok_or_else(|| io_err(Op::Write, &self.root, ErrorKind::NotFound.into()))?;
        let host_path = self.root.join(&key.host);
        let missing = |p: &Path| io_err(Op::Write, p, ErrorKind::NotFound.into());
        let host = Self::open_dir(&root, &self.root, &key.host, true, Op::Write)?
            .ok_or_else(|| missing(&host_path))?;
        Self::open_dir(&host, &host_path, &key.playbook, true, Op::Write)?
            .ok_or_else(|| missing(&self.dir(key)))
    }

    /// The lock is the playbook directory itself, already opened without following links.
    fn lock(dir: OwnedFd, path: &Path) -> Result<DirLock, RecordStoreError> {
        DirLock::lock(dir).map_err(|e| io_err(Op::Write, path, e))
    }

    fn damaged(path: &Path, why: &str) -> Stored {
        Stored::Damaged {
            error: RecordStoreError::Corrupt {
                location: path.display().to_string(),
                why: why.to_string(),
            },
            text: None,
        }
    }

    /// Reads the record `name` in `dir`. Anything but a plain file with one name is damaged, not
    /// missing: a symbolic link (even one to nothing) or a hard link would make us read some
    /// other file, and a FIFO would block.
    fn read(dir: &OwnedFd, path: &Path, name: &str) -> Result<Stored, RecordStoreError> {
        let flags = OFlag::O_RDONLY
            | OFlag::O_NOFOLLOW
            | OFlag::O_NONBLOCK
            | OFlag::O_NOCTTY
            | OFlag::O_CLOEXEC;
        let fd = match openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(Stored::Missing),
            Err(Errno::ELOOP) => {
                return Ok(Self::damaged(
                    path,
                    "it is a symbolic link, which is never followed (its target was not read)",
                ))
            }
            Err(e) => return Err(errno_err(Op::Read, path, e)),
        };
        let st = fstat(&fd).map_err(|e| errno_err(Op::Read, path, e))?;
        if kind(&st) != SFlag::S_IFREG {
            return Ok(Self::damaged(path, "it is not a regular file"));
        }
        if st.st_nlink != 1 {
            return Ok(Self::damaged(
                path,
                "it has other hard links, so it may be some other file (it was not read)",
            ));
        }
        let mut bytes = Vec::new();
        File::from(fd)
            .read_to_end(&mut bytes)
            .map_err(|e| io_err(Op::Read, path, e))?;
        Ok(Stored::from_bytes(Some(bytes), &path.display().to_string()))
    }
}

impl RecordStore for FsStore {
    fn location(&self, key: &RecordKey) -> String {
        self.path(key).display().to_string()
    }

    fn inspect(&self, key: &RecordKey) -> Result<Stored, RecordStoreError> {
        match self.open_playbook_dir(key, Op::Read)? {
            Some(dir) => Self::read(&dir, &self.path(key), &Self::file_name(key)),
            None => Ok(Stored::Missing),
        }
    }

    fn save(
        &self,
        key: &RecordKey,
        record: &Record,
        mode: SaveMode,
    ) -> Result<SaveOutcome, RecordStoreError> {
        let path = self.path(key);
        let name = Self::file_name(key);
        let dir = Self::lock(self.ensure_dirs(key)?, &self.dir(key))?;
        if let SaveMode::IfAbsent { stale_claim_after } = mode {
            // Under the lock: what we see here cannot change until we have written.
            if let Some(existing) = Self::read(&dir, &path, &name)?.into_record()? {
                if !existing.is_stale_claim(stale_claim_after) {
                    return Ok(SaveOutcome::Exists(existing));
                }
            }
        }
        // rename replaces a link or a damaged file in the record's place; it never writes
        // through it.
        write_atomic_at(&*dir, &name, TempName::Random, record.to_text().as_bytes())
            .map_err(|e| io_err(Op::Write, &path, e))?;
        Ok(SaveOutcome::Written)
    }

    fn delete(&self, key: &RecordKey) -> Result<bool, RecordStoreError> {
        let Some(dir) = self.open_playbook_dir(key, Op::Write)? else {
            return Ok(false);
        };
        let guard = Self::lock(dir, &self.dir(key))?;
        let dir: &OwnedFd = &guard;
        let path = self.path(key);
        let name = Self::file_name(key);
        // unlink removes the name only: a link goes, its target stays.
        match lstat_at(dir, &name) {
            Ok(st) if kind(&st) == SFlag::S_IFDIR => {
                return Err(unsafe_path(
                    &path,
                    "it is a directory where a record belongs",
                ))
            }
            Ok(_) => {}
            Err(Errno::ENOENT) => return Ok(false),
            Err(e) => return Err(errno_err(Op::Write, &path, e)),
        }
        match unlinkat(dir, name.as_str(), UnlinkatFlags::NoRemoveDir) {
            Ok(()) => {
                let _ = fsync(dir);
                Ok(true)
            }
            Err(Errno::ENOENT) => Ok(false),
            Err(e) => Err(errno_err(Op::Write, &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::now_utc;
    use serde_json::Map;
    use std::os::unix::fs::PermissionsExt;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("records-fs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn record(jid: Option<&str>) -> Record {
        Record {
            job_name: "j".into(),
            host: "h".into(),
            ansible_job_id: jid.map(str::to_string),
            save_time: now_utc(),
            metadata: Map::new(),
        }
    }

    #[test]
    fn save_load_delete_with_private_modes() {
        let root = tmp("basic").join("state");
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
        assert_eq!(
            store
                .save(&key, &record(Some("j1.1")), SaveMode::Overwrite)
                .unwrap(),
            SaveOutcome::Written
        );
        assert_eq!(
            store.load(&key).unwrap().unwrap().ansible_job_id.as_deref(),
            Some("j1.1")
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root.join("h")), 0o700);
        assert_eq!(mode(&root.join("h/p")), 0o700);
        assert_eq!(mode(&store.path(&key)), 0o600);
        assert!(store.delete(&key).unwrap());
        assert!(!store.delete(&key).unwrap());
        let leftovers = std::fs::read_dir(root.join("h/p")).unwrap().count();
        assert_eq!(leftovers, 0, "no temp files left behind");
        std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[test]
    fn if_absent_claims_once_and_takes_over_stale_claims_only() {
        let root = tmp("claim");
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        let mode = SaveMode::IfAbsent {
            stale_claim_after: Some(600),
        };
        assert_eq!(
            store.save(&key, &record(None), mode).unwrap(),
            SaveOutcome::Written
        );
        assert!(matches!(
            store.save(&key, &record(None), mode).unwrap(),
            SaveOutcome::Exists(_)
        ));
        let mut stale = record(None);
        stale.save_time = "2000-01-01T00:00:00Z".into();
        store.save(&key, &stale, SaveMode::Overwrite).unwrap();
        assert_eq!(
            store.save(&key, &record(Some("j2.2")), mode).unwrap(),
            SaveOutcome::Written
        );
        assert!(
            matches!(store.save(&key, &record(None), mode).unwrap(), SaveOutcome::Exists(r) if r.ansible_job_id.as_deref() == Some("j2.2"))
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn corrupt_records_are_errors_and_are_not_overwritten_by_claims() {
        let root = tmp("corrupt");
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        std::fs::create_dir_all(root.join("h/p")).unwrap();
        std::fs::write(store.path(&key), "{\"job_name\": \"j\", \"ho").unwrap();
        let err = store.load(&key).unwrap_err().to_string();
        assert!(err.contains("j.json") && err.contains("damaged"), "{err}");
        assert!(store
            .save(
                &key,
                &record(None),
                SaveMode::IfAbsent {
                    stale_claim_after: None
                }
            )
            .is_err());
        assert_eq!(
            std::fs::read_to_string(store.path(&key)).unwrap(),
            "{\"job_name\": \"j\", \"ho"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn saving_leaves_no_temp_file_behind() {
        // The names themselves are safe_fs's TempName::Random, tested there.
        let root = tmp("tmpname");
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        for jid in ["j1.1", "j2.2"] {
            store
                .save(&key, &record(Some(jid)), SaveMode::Overwrite)
                .unwrap();
        }
        let left: Vec<_> = std::fs::read_dir(root.join("h/p"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["j.json"], "no temp file is left behind");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn unwritable_state_dir_is_a_clear_error() {
        let root = tmp("file-in-the-way");
        std::fs::write(&root, "not a directory").unwrap();
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        let err = store
            .save(&key, &record(Some("j1.1")), SaveMode::Overwrite)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("state_dir")
                && err.contains("is not a directory")
                && err.contains("records-fs-file-in-the-way"),
            "{err}"
        );
        // Loading, and the check before a start, say the same, not "could not read job record".
        assert_eq!(store.load(&key).unwrap_err().to_string(), err);
        assert_eq!(store.check(&key).unwrap_err().to_string(), err);
        let below = FsStore::new(root.join("sub"));
        let err = below.check(&key).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{} is a file", root.display())),
            "{err}"
        );
        std::fs::remove_file(&root).unwrap();
    }

    #[test]
    fn directories_someone_else_can_write_are_not_trusted() {
        use std::os::unix::fs::chown;
        let root = tmp("foreign");
        let store = FsStore::new(&root);
        let key = RecordKey::new("h", "p", "j").unwrap();
        let planted = r#"{"job_name": "j", "host": "h", "ansible_job_id": "j6.6", "save_time": "2026-01-01T00:00:00Z", "metadata": {}}"#;
        std::fs::create_dir_all(root.join("h/p")).unwrap();
        std::fs::write(store.path(&key), planted).unwrap();
        assert!(store.check(&key).is_ok());
        let claim = SaveMode::IfAbsent {
            stale_claim_after: None,
        };
        // Group- or other-writable, at either level: refused before the record is read.
        for dir in ["h", "h/p"] {
            std::fs::set_permissions(root.join(dir), std::fs::Permissions::from_mode(0o777))
                .unwrap();
            let err = store.load(&key).unwrap_err().to_string();
            assert!(
                err.contains(&format!("{dir} is unsafe"))
                    && err.contains("writable by group or others"),
                "{err}"
            );
            assert!(store.save(&key, &record(None), claim).is_err());
            assert!(store.check(&key).is_err());
            std::fs::set_permissions(root.join(dir), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        // Another user's, even private: refused (only root may chown, so only as root).
        if geteuid().is_root() {
            for dir in ["h", "h/p"] {
                chown(root.join(dir), Some(65534), None).unwrap();
                let err = store.load(&key).unwrap_err().to_string();
                assert!(err.contains("belongs to another user (uid 65534)"), "{err}");
                assert!(store.save(&key, &record(None), claim).is_err());
                assert!(store.delete(&key).is_err());
                chown(root.join(dir), Some(0), None).unwrap();
            }
        }
        assert_eq!(
            store.load(&key).unwrap().unwrap().ansible_job_id.as_deref(),
            Some("j6.6")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
