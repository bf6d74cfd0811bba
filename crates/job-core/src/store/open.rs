// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The one place that knows which stores exist: a store URL becomes a [`JobStore`] here, and
//! nowhere else asks which backend it is. A caller that needs to know more asks the store what
//! it can do ([`JobStore::shared`], [`JobStore::health`]).
//!
//! Adding a store: a variant of [`StoreUrl`] with its scheme, a branch in [`open`], and the
//! contract tests (contract.rs) run against it.

use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::redis::{RedisOptions, RedisStore};
use super::sqlite::SqliteStore;
use super::{JobStore, JobStoreError};

/// Where jobs live, as `--store` names it.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite:PATH`: the embedded store, one SQLite file of one process.
    Sqlite(PathBuf),
    /// `redis://[:password@]host[:port][/db]` (or `redis+unix://`, `unix://`): the store many
    /// processes on many machines share. Kept whole: it may carry a password, so it is only
    /// ever shown through [`StoreUrl::redacted`].
    Redis(String),
}

/// The forms [`StoreUrl::parse`] accepts, for messages.
pub const STORE_URL_FORMS: &str = "sqlite:PATH or redis://[:password@]host[:port][/db]";

impl StoreUrl {
    /// `sqlite:PATH` (`sqlite:///abs/path` too) or a Redis URL; anything else is refused with
    /// the forms that are accepted.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("sqlite:") {
            // `sqlite:///var/lib/x.db` as other tools write it: the path after the `//`.
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(
                    "sqlite: needs a path: sqlite:/var/lib/ansible-job-service/jobs.sqlite3".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("rediss://") {
            return Err(
                "rediss:// (TLS to Redis) is not supported: reach Redis over a private network or a tunnel, with redis://"
                    .into(),
            );
        }
        if ["redis://", "redis+unix://", "unix://"]
            .iter()
            .any(|p| s.starts_with(p))
        {
            return Ok(Self::Redis(s.to_string()));
        }
        Err(format!("not a store URL: give {STORE_URL_FORMS}"))
    }

    /// True when processes on other machines can use the same store (workers, more API
    /// processes); false for a store that belongs to one process.
    pub fn shared(&self) -> bool {
        matches!(self, Self::Redis(_))
    }

    /// The URL as it may be printed or logged: without a password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite:{}", p.display()),
            Self::Redis(url) => redact(url),
        }
    }
}

impl FromStr for StoreUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

/// Always redacted: a password must not reach a log line by a `{}` or a `{:?}`.
impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({})", self.redacted())
    }
}

/// Query keys that carry a password: redis-rs reads `pass` on `redis+unix://` and `unix://`
/// URLs; `password` is what an operator may write by analogy.
const PASSWORD_KEYS: [&str; 2] = ["pass", "password"];

/// A URL without its password (`redis://:secret@db:6379` → `redis://***@db:6379`,
/// `unix:///run/redis.sock?pass=secret` → `unix:///run/redis.sock?pass=***`).
pub fn redact(url: &str) -> String {
    let url = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    };
    let Some((base, query)) = url.split_once('?') else {
        return url;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_password_key(k) => format!("{k}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Whether a store URL carries a password, in its user part or in its query.
pub fn has_password(url: &str) -> bool {
    let at = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) => at > scheme,
        _ => false,
    };
    at || url.split_once('?').is_some_and(|(_, q)| {
        q.split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, _)| is_password_key(k))
        })
    })
}

fn is_password_key(key: &str) -> bool {
    PASSWORD_KEYS.iter().any(|p| key.eq_ignore_ascii_case(p))
}

/// What a process asks of its store; each store takes the settings that apply to it.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions {
    /// Stdout bytes kept per job.
    pub stdout_cap: u64,
    /// How long a job is kept after it ended (a shared store writes it into each job).
    pub ttl: Duration,
    /// Shared stores: how long a worker may go silent before its running jobs are lost.
    pub lease: Duration,
    /// Shared stores: accept one that keeps nothing on disk (Redis without persistence).
    pub volatile_ok: bool,
}

/// Why [`open`] failed; the text says what to do. [`OpenError::is_usage`] tells a setting the
/// operator can fix from one the machine must.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one of the accepted forms.
    #[error("{0}")]
    Url(String),
    /// The store did not answer.
    #[error("{0}; start Redis there or fix the URL")]
    Unreachable(JobStoreError),
    /// The store answered but its settings cannot be read.
    #[error("cannot read Redis's settings: {0}; allow this user CONFIG GET, or at least INFO")]
    Settings(JobStoreError),
    /// The store is set up so that it can lose jobs; the text names the setting and the fix.
    #[error("{0}")]
    Unsafe(String),
    /// The embedded store's file could not be opened or created.
    #[error("cannot open {}: {source}", path.display())]
    File {
        /// The database file.
        path: PathBuf,
        /// What failed.
        source: JobStoreError,
    },
    /// Another process has the embedded store open.
    #[error("another ansible-job-service uses {}; stop it, or give this one another store", path.display())]
    Locked {
        /// The database file.
        path: PathBuf,
    },
}

impl OpenError {
    /// A setting the operator gives (exit 2), rather than a failure of the machine (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::Url(_) | Self::Unreachable(_) | Self::Settings(_) | Self::Unsafe(_)
        )
    }
}

/// An open store, with what its opening found worth a warning.
pub struct Opened {
    /// The store.
    pub store: Arc<dyn JobStore>,
    /// Settings that are allowed but risky (Redis without persistence, acknowledged): log them.
    pub warnings: Vec<String>,
    /// The embedded store's file is this process's while this lives.
    _lock: Option<File>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("shared", &self.store.shared())
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Opens the store `url` names, ready for work: the embedded one's file created (0600) and
/// locked to this process; a shared one reached, and its settings checked so that a store that
/// can lose jobs is refused before anything starts.
pub async fn open(url: &StoreUrl, opts: OpenOptions) -> Result<Opened, OpenError> {
    match url {
        StoreUrl::Sqlite(path) => {
            let lock = lock_file(path)?;
            let file = |source| OpenError::File {
                path: path.clone(),
                source,
            };
            let store = SqliteStore::open(path, opts.stdout_cap).map_err(file)?;
            Ok(Opened {
                store: Arc::new(store),
                warnings: Vec::new(),
                _lock: Some(lock),
            })
        }
        StoreUrl::Redis(raw) => {
            let redis_opts = RedisOptions {
                lease: opts.lease,
                ttl: opts.ttl,
                stdout_cap: opts.stdout_cap,
                block: Duration::from_secs(1),
                volatile_ok: opts.volatile_ok,
            };
            let store = RedisStore::connect(raw, redis_opts)
                .await
                .map_err(OpenError::Unreachable)?;
            let check = store
                .check(opts.volatile_ok)
                .await
                .map_err(OpenError::Settings)?;
            if let Some(why) = check.verdict.refusals.first() {
                return Err(OpenError::Unsafe(why.clone()));
            }
            Ok(Opened {
                store: Arc::new(store),
                warnings: check.verdict.warnings,
                _lock: None,
            })
        }
    }
}

/// `<file>.lock`, locked for as long as the store is open: two processes on one embedded store
/// would each end the other's running jobs as lost at start (`recover`).
fn lock_file(db: &Path) -> Result<File, OpenError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = |e: std::io::Error| OpenError::File {
        path: path.clone(),
        source: JobStoreError::Io(e),
    };
    let f = open_lock(&path).map_err(file)?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::Locked {
            path: db.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(file(e)),
    }
}

/// A lock file, opened so that nobody else's file is touched through it: never through a
/// symlink (another user's link would have this process create or lock a file of theirs choosing),
/// never truncated, never waiting on a FIFO, and created 0600.
pub fn open_lock(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc_flags())
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file; remove it (the service creates its lock file itself)",
        ));
    }
    Ok(f)
}

fn libc_flags() -> i32 {
    (nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_to_their_store_and_others_are_refused() {
        assert_eq!(
            StoreUrl::parse("sqlite:/var/lib/x.db"),
            Ok(StoreUrl::Sqlite("/var/lib/x.db".into()))
        );
        assert_eq!(
            StoreUrl::parse("sqlite:///var/lib/x.db"),
            Ok(StoreUrl::Sqlite("/var/lib/x.db".into()))
        );
        assert_eq!(
            StoreUrl::parse("sqlite:jobs.db"),
            Ok(StoreUrl::Sqlite("jobs.db".into()))
        );
        assert!(StoreUrl::parse("redis://127.0.0.1:6379/0")
            .unwrap()
            .shared());
        assert!(!StoreUrl::parse("sqlite:x").unwrap().shared());
        for bad in ["", "sqlite:", "not a url", "http://x", "/var/lib/x.db"] {
            let e = StoreUrl::parse(bad).unwrap_err();
            assert!(
                e.contains("sqlite:"),
                "{bad:?}: the message names the forms: {e}"
            );
        }
        assert!(StoreUrl::parse("rediss://h").unwrap_err().contains("TLS"));
    }

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(redact("redis://:s3cret@db:6379/0"), "redis://***@db:6379/0");
        assert_eq!(redact("redis://u:p@w@h"), "redis://***@h");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("unix:///run/r.sock?db=1&pass=s3cret"),
            "unix:///run/r.sock?db=1&pass=***"
        );
        assert_eq!(
            redact("redis+unix:///s?PASSWORD=s3cret"),
            "redis+unix:///s?PASSWORD=***"
        );
        assert!(has_password("unix:///s?pass=x") && has_password("redis://:x@h"));
        assert!(!has_password("unix:///s?db=2") && !has_password("redis://h:1/0"));
        let url = StoreUrl::parse("redis://:s3cret@db").unwrap();
        assert!(!format!("{url} {url:?}").contains("s3cret"));
    }

    #[test]
    fn a_lock_file_is_never_followed_nor_truncated() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("jobs.sqlite3.lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(lock_file(&dir.path().join("jobs.sqlite3")).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        std::fs::remove_file(&link).unwrap();
        std::fs::write(&link, "old").unwrap();
        lock_file(&dir.path().join("jobs.sqlite3")).unwrap();
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "old");
        let fresh = dir.path().join("new.lock");
        open_lock(&fresh).unwrap();
        assert_eq!(std::fs::metadata(&fresh).unwrap().mode() & 0o777, 0o600);
    }

    #[tokio::test]
    async fn an_embedded_store_is_one_process_s() {
        let dir = tempfile::tempdir().unwrap();
        let url = StoreUrl::Sqlite(dir.path().join("jobs.sqlite3"));
        let opts = OpenOptions {
            stdout_cap: 1024,
            ttl: Duration::from_secs(60),
            lease: Duration::from_secs(30),
            volatile_ok: false,
        };
        let first = open(&url, opts).await.unwrap();
        assert!(!first.store.shared());
        let second = open(&url, opts).await.unwrap_err();
        assert!(matches!(second, OpenError::Locked { .. }), "{second}");
        drop(first);
        open(&url, opts).await.unwrap();
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_a_usage_error() {
        let url = StoreUrl::parse("redis://127.0.0.1:1").unwrap();
        let opts = OpenOptions {
            stdout_cap: 1024,
            ttl: Duration::from_secs(60),
            lease: Duration::from_secs(30),
            volatile_ok: false,
        };
        let e = open(&url, opts).await.unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("start Redis"), "{e}");
    }
}
