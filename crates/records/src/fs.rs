//! The filesystem store: `<state_dir>/<host>/<playbook>/<job>.json`, directories 0700, files 0600.
//!
//! Writes go to a temp file in the same directory, are fsynced, renamed over the record and the
//! directory is fsynced: a crash leaves the old record or the new one, never a torn one. Writers
//! of one playbook directory take an exclusive flock on it, which makes create-only claims and
//! stale-claim takeovers atomic between processes; readers need no lock, since rename is atomic.

use crate::error::StoreError;
use crate::key::RecordKey;
use crate::record::Record;
use crate::store::{SaveMode, SaveOutcome, Store, Stored};
use nix::fcntl::{Flock, FlockArg};
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub struct FsStore {
    root: PathBuf,
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    }
}

impl FsStore {
    pub fn new(root: impl Into<PathBuf>) -> FsStore {
        FsStore { root: root.into() }
    }

    fn dir(&self, key: &RecordKey) -> PathBuf {
        self.root.join(&key.host).join(&key.playbook)
    }

    pub fn path(&self, key: &RecordKey) -> PathBuf {
        self.dir(key).join(format!("{}.json", key.job))
    }

    fn ensure_dirs(&self, key: &RecordKey) -> Result<PathBuf, StoreError> {
        let host_dir = self.root.join(&key.host);
        let dir = self.dir(key);
        for d in [&self.root, &host_dir, &dir] {
            match DirBuilder::new().recursive(true).mode(0o700).create(d) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists && d.is_dir() => {}
                Err(e) => return Err(write_err(d)(e)),
            }
        }
        Ok(dir)
    }

    fn lock(dir: &Path) -> Result<Flock<File>, StoreError> {
        let f = File::open(dir).map_err(write_err(dir))?;
        Flock::lock(f, FlockArg::LockExclusive).map_err(|(_, errno)| StoreError::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::from(errno),
        })
    }

    fn read(path: &Path) -> Result<Stored, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => {
                return Err(StoreError::Read {
                    path: path.to_path_buf(),
                    source: e,
                })
            }
        };
        Ok(Stored::from_bytes(bytes, &path.display().to_string()))
    }

    fn write_atomic(dir: &Path, path: &Path, text: &str) -> Result<(), StoreError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(write_err(path))
    }
}

impl Store for FsStore {
    fn location(&self, key: &RecordKey) -> String {
        self.path(key).display().to_string()
    }

    fn inspect(&self, key: &RecordKey) -> Result<Stored, StoreError> {
        Self::read(&self.path(key))
    }

    fn save(
        &self,
        key: &RecordKey,
        record: &Record,
        mode: SaveMode,
    ) -> Result<SaveOutcome, StoreError> {
        let dir = self.ensure_dirs(key)?;
        let path = self.path(key);
        let _guard = Self::lock(&dir)?;
        if let SaveMode::IfAbsent { stale_claim_after } = mode {
            // Under the lock: what we see here cannot change until we have written.
            if let Some(existing) = Self::read(&path)?.into_record()? {
                if !existing.is_stale_claim(stale_claim_after) {
                    return Ok(SaveOutcome::Exists(existing));
                }
            }
        }
        Self::write_atomic(&dir, &path, &record.to_text())?;
        Ok(SaveOutcome::Written)
    }

    fn delete(&self, key: &RecordKey) -> Result<bool, StoreError> {
        let dir = self.dir(key);
        let path = self.path(key);
        if !dir.is_dir() {
            return Ok(false);
        }
        let _guard = Self::lock(&dir)?;
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let _ = File::open(&dir).and_then(|d| d.sync_all());
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(write_err(&path)(e)),
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
            err.contains("could not write job record")
                && err.contains("records-fs-file-in-the-way"),
            "{err}"
        );
        std::fs::remove_file(&root).unwrap();
    }
}
