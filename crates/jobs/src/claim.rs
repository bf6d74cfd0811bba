//! Start claims: how concurrent runs of one `async_task` agree that exactly one of them starts the
//! job behind a name.
//!
//! Starting a job takes several round trips from the controller (claim, start through the async
//! wrapper, name it), so no lock can be held across them. Instead a run leaves a claim file,
//! `.jid_<alias>.claim`, holding its token. Every decision about a name is made under an exclusive
//! flock on the async dir, and a run that finds a fresh claim of another run waits for the name to
//! appear. A claim older than its time to live is from a run that died and may be taken over.
//!
//! Releasing a claim after a start leaves `<token> <jid>` in the file: a run that waited on that
//! token then attaches to that job even if it has already finished and been cleaned up, instead
//! of starting the command a second time. Such a marker blocks nobody.

use crate::alias::sync_dir;
use crate::dir::AsyncDir;
use crate::error::{read_err, write_err, JobError, Result};
use crate::names::AliasName;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{DirBuilder, File};
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Held while a decision about a name is made; dropping it unlocks the dir.
pub struct DirLock {
    _lock: Flock<File>,
}

/// Locks the async dir, creating it (0700, as the wrapper's user) when it does not exist yet.
pub fn lock(dir: &AsyncDir) -> Result<DirLock> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir.path())
        .map_err(write_err(dir.path()))?;
    let f = File::open(dir.path()).map_err(read_err(dir.path()))?;
    Flock::lock(f, FlockArg::LockExclusive)
        .map(|l| DirLock { _lock: l })
        .map_err(|(_, errno)| JobError::Write {
            path: dir.path().to_path_buf(),
            source: std::io::Error::from(errno),
        })
}

pub fn claim_file(dir: &AsyncDir, alias: &AliasName) -> PathBuf {
    dir.path().join(format!(".{}.claim", alias.file_name()))
}

/// A run's claim on a name, or the marker it left when it released the claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub token: String,
    pub age: Duration,
    /// Set once released: the job this claim started.
    pub started: Option<String>,
}

impl Held {
    /// Whether this keeps other runs from starting the job now.
    pub fn blocks(&self, token: &str, ttl: Duration) -> bool {
        self.started.is_none() && self.token != token && self.age < ttl
    }
}

/// The claim on `alias`, if any. Call with the lock held.
pub fn current(dir: &AsyncDir, alias: &AliasName) -> Result<Option<Held>> {
    let path = claim_file(dir, alias);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(&path)(e)),
    };
    let modified = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(read_err(&path))?;
    // A clock step backwards makes the claim look new; it then ages from now on.
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or_default();
    let mut words = text.split_whitespace();
    let token = words.next().unwrap_or_default().to_string();
    let started = words.next().map(str::to_string);
    Ok(Some(Held {
        token,
        age,
        started,
    }))
}

/// Why a claim could not be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Another run claimed the name and is starting its job.
    Busy(Held),
}

/// Takes the claim for `token` unless another run holds a fresh one. Call with the lock held.
pub fn take(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &str,
    ttl: Duration,
) -> Result<std::result::Result<(), Refused>> {
    if let Some(held) = current(dir, alias)? {
        if held.blocks(token, ttl) {
            return Ok(Err(Refused::Busy(held)));
        }
    }
    write_claim(dir, alias, token)?;
    Ok(Ok(()))
}

fn write_claim(dir: &AsyncDir, alias: &AliasName, text: &str) -> Result<()> {
    let path = claim_file(dir, alias);
    let tmp = path.with_extension(format!("claim.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        std::fs::write(&tmp, text)?;
        File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(&path)(e));
    }
    sync_dir(dir.path());
    Ok(())
}

/// Ends `token`'s claim: leaves the started job's marker, or removes the claim when nothing was
/// started. Says whether `token` still held the claim. Call with the lock held.
pub fn release(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &str,
    started: Option<&str>,
) -> Result<bool> {
    match current(dir, alias)? {
        Some(held) if held.token == token && held.started.is_none() => {
            if let Some(jid) = started {
                write_claim(dir, alias, &format!("{token} {jid}"))?;
                return Ok(true);
            }
            let path = claim_file(dir, alias);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(write_err(&path)(e)),
            }
            sync_dir(dir.path());
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> AsyncDir {
        let d = std::env::temp_dir().join(format!("jobs-claim-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        AsyncDir::from_path(d)
    }

    #[test]
    fn one_claim_at_a_time_until_dropped() {
        let d = dir("one");
        let a = AliasName::parse("nightly").unwrap();
        let _l = lock(&d).unwrap();
        let ttl = Duration::from_secs(60);
        assert_eq!(take(&d, &a, "t1", ttl).unwrap(), Ok(()));
        match take(&d, &a, "t2", ttl).unwrap() {
            Err(Refused::Busy(h)) => assert_eq!(h.token, "t1"),
            other => panic!("second claim was {other:?}"),
        }
        // The holder may renew its own claim.
        assert_eq!(take(&d, &a, "t1", ttl).unwrap(), Ok(()));
        assert!(!release(&d, &a, "t2", None).unwrap());
        assert!(release(&d, &a, "t1", None).unwrap());
        assert_eq!(current(&d, &a).unwrap(), None);
        assert_eq!(take(&d, &a, "t2", ttl).unwrap(), Ok(()));
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_stale_claim_is_taken_over() {
        let d = dir("stale");
        let a = AliasName::parse("nightly").unwrap();
        let _l = lock(&d).unwrap();
        assert_eq!(take(&d, &a, "dead-run", Duration::ZERO).unwrap(), Ok(()));
        assert_eq!(take(&d, &a, "t2", Duration::ZERO).unwrap(), Ok(()));
        assert_eq!(current(&d, &a).unwrap().map(|h| h.token), Some("t2".into()));
        // The dead run cannot drop what is no longer its claim.
        assert!(!release(&d, &a, "dead-run", None).unwrap());
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_release_leaves_the_started_job_for_waiters_and_blocks_nobody() {
        let d = dir("marker");
        let a = AliasName::parse("nightly").unwrap();
        let _l = lock(&d).unwrap();
        let ttl = Duration::from_secs(60);
        assert_eq!(take(&d, &a, "t1", ttl).unwrap(), Ok(()));
        assert!(release(&d, &a, "t1", Some("j1.2")).unwrap());
        let held = current(&d, &a).unwrap().unwrap();
        assert_eq!(
            (held.token.as_str(), held.started.as_deref()),
            ("t1", Some("j1.2"))
        );
        assert!(!held.blocks("t2", ttl));
        // Released once: a second release is not this run's any more.
        assert!(!release(&d, &a, "t1", Some("j1.2")).unwrap());
        assert_eq!(take(&d, &a, "t2", ttl).unwrap(), Ok(()));
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn lock_creates_a_private_dir() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("mkdir");
        let _l = lock(&d).unwrap();
        let mode = std::fs::metadata(d.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::remove_dir_all(d.path()).unwrap();
    }
}
