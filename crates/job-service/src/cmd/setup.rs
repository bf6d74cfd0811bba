// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The checks `serve` and `worker` share, run before anything is created or started: each names
//! the flag at fault and the fix.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use job_core::store::redis::{RedisOptions, RedisStore};
use job_core::Project;

use crate::cli::{RedisArgs, TrustArgs};
use crate::Failure;

pub struct Common {
    pub project: Project,
    pub ansible_playbook: PathBuf,
    pub data_dir: PathBuf,
}

pub fn common(
    project_dir: &Path,
    ansible_playbook: Option<&Path>,
    data_dir: Option<&Path>,
    trust: TrustArgs,
) -> Result<Common, Failure> {
    let project = Project::open(project_dir)
        .map_err(|e| {
            Failure::Usage(format!(
                "--project-dir {}: {e}; give the directory that holds the playbooks",
                project_dir.display()
            ))
        })?
        .with_inventory_scripts(trust.allow_inventory_scripts);
    // Loud at every start: either flag lets a client run commands on this machine.
    if trust.allow_templates_in_extra_vars {
        tracing::warn!(
            "--allow-templates-in-extra-vars: clients' extra vars are rendered as templates; \
             any client can run commands here (a lookup('pipe', ...) in a value)"
        );
    }
    if trust.allow_inventory_scripts {
        tracing::warn!(
            "--allow-inventory-scripts: an inventory file with an execute bit is run as a \
             program; whoever can write <project>/inventories/ can run commands here"
        );
    }
    let ansible_playbook = match ansible_playbook {
        Some(p) => executable(p).ok_or_else(|| {
            Failure::Usage(format!(
                "--ansible-playbook {}: not an executable file",
                p.display()
            ))
        })?,
        None => find_in_path("ansible-playbook").ok_or_else(|| {
            Failure::Usage(
                "no ansible-playbook in PATH: install ansible-core, or give --ansible-playbook PATH"
                    .into(),
            )
        })?,
    };
    let data_dir = crate::cmd::data_dir::resolve(data_dir)?;
    Ok(Common {
        project,
        ansible_playbook,
        data_dir,
    })
}

pub fn check_lease(lease: Duration) -> Result<(), Failure> {
    if lease < Duration::from_secs(2) || lease > Duration::from_secs(3600) {
        return Err(Failure::Usage(
            "--lease: between 2s and 1h (30s is the default)".into(),
        ));
    }
    Ok(())
}

/// The environment variable that may hold the Redis URL (kept off the command line).
pub const REDIS_URL_ENV: &str = "AJS_REDIS_URL";

/// The Redis URL from `--redis-url`, `--redis-url-file` or `AJS_REDIS_URL` (one of them at
/// most); `None` when none is given.
pub fn redis_url(args: &RedisArgs) -> Result<Option<String>, Failure> {
    if args.redis_check_every < Duration::from_secs(1) {
        return Err(Failure::Usage("--redis-check-every: at least 1s".into()));
    }
    // AJS_REDIS_URL reaches `redis_url` through clap (config.rs), with --redis-url ranked
    // over it; --redis-url-file with either is a clap conflict.
    if let Some(url) = args
        .redis_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        if url.contains('@') && args.redis_url_in_argv {
            tracing::warn!(
                "--redis-url carries a password, which every user of this machine can read in \
                 /proc/{}/cmdline: use --redis-url-file FILE or {REDIS_URL_ENV} instead",
                std::process::id()
            );
        }
        return Ok(Some(url.to_string()));
    }
    if let Some(path) = &args.redis_url_file {
        return read_redis_url(path).map(Some);
    }
    Ok(None)
}

/// The first line of a file only its owner (and group) may read: it may hold a password.
fn read_redis_url(path: &Path) -> Result<String, Failure> {
    let bad = |why: String| Failure::Usage(format!("--redis-url-file {}: {why}", path.display()));
    // Symlinks are followed (secrets are often mounted as links); a FIFO is refused unread.
    let mut f = crate::auth::token::open_regular(path, false).map_err(|e| bad(e.to_string()))?;
    let mode = f.metadata().map_err(|e| bad(e.to_string()))?.mode();
    if mode & 0o004 != 0 {
        return Err(bad(format!(
            "readable by every user (mode {:o}), and it may hold Redis's password: chmod o-r (600 is best)",
            mode & 0o777
        )));
    }
    if mode & 0o040 != 0 {
        tracing::warn!(file = %path.display(), "the Redis URL file is readable by its group; chmod 600 it unless the group is meant to");
    }
    let mut s = String::new();
    f.read_to_string(&mut s).map_err(|e| bad(e.to_string()))?;
    let url = s.lines().next().unwrap_or("").trim();
    if url.is_empty() {
        return Err(bad(
            "the first line must be the URL (redis://[:password@]host[:port][/db])".into(),
        ));
    }
    Ok(url.to_string())
}

/// Connects before anything starts: an unreachable Redis, or one that can lose data (it
/// evicts keys, or keeps nothing on disk without --redis-volatile), is a usage error naming
/// the setting and the fix.
pub async fn redis(
    url: &str,
    opts: RedisOptions,
    volatile_ok: bool,
) -> Result<Arc<RedisStore>, Failure> {
    let store = RedisStore::connect(url, opts).await.map_err(|e| {
        Failure::Usage(format!(
            "--redis-url {}: {e}; start Redis there or fix the URL",
            redact(url)
        ))
    })?;
    let check = store.check(volatile_ok).await.map_err(|e| {
        Failure::Usage(format!(
            "--redis-url {}: cannot read Redis's settings: {e}; allow this user CONFIG GET, or at least INFO",
            redact(url)
        ))
    })?;
    if let Some(why) = check.verdict.refusals.first() {
        return Err(Failure::Usage(format!(
            "--redis-url {}: {why}",
            redact(url)
        )));
    }
    for w in &check.verdict.warnings {
        tracing::warn!("{w}");
    }
    Ok(Arc::new(store))
}

/// A URL as it may be printed: without its password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Workers of one process are named `<name>:<pid>.<random>:<n>`; the name defaults to the
/// host's. A worker's name keys its leases and its list in Redis, so it must be unique across
/// machines: containers share pids (often 1) and an operator may give two machines one name.
pub fn worker_names(name: Option<&str>, n: usize) -> Vec<String> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let base = name.unwrap_or(host.trim());
    let pid = std::process::id();
    // The random tail of a UUID v7 (its first half is the clock).
    let id = job_core::JobId::new().to_string();
    let tag = &id[id.len() - 6..];
    (0..n).map(|i| format!("{base}:{pid}.{tag}:{i}")).collect()
}

pub fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Failure::Usage(format!(
            "--name {name:?}: 1 to 64 characters from A-Z a-z 0-9 . _ -"
        )))
    }
}

/// The embedded store is one process's: a second one on the same data dir is refused.
pub fn lock_data_dir(data_dir: &Path) -> Result<nix::fcntl::Flock<File>, Failure> {
    let lock_file = File::create(data_dir.join("lock"))
        .map_err(|e| Failure::Usage(format!("--data-dir {}: {e}", data_dir.display())))?;
    nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(
        |_| {
            Failure::Runtime(format!(
                "another ansible-job-service is using --data-dir {}; stop it or give another --data-dir",
                data_dir.display()
            ))
        },
    )
}

fn executable(p: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(p).ok()?;
    let meta = std::fs::metadata(&abs).ok()?;
    (meta.is_file() && meta.mode() & 0o111 != 0).then_some(abs)
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    // Not canonicalized: a venv's bin/ansible-playbook is a script whose interpreter is found
    // relative to where it is called from.
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| executable(p).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(redact("redis://:s3cret@db:6379/0"), "redis://***@db:6379/0");
        assert_eq!(redact("redis://u:p@w@h"), "redis://***@h");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn worker_names_differ_between_processes_of_one_name() {
        let a = worker_names(Some("w"), 2);
        let b = worker_names(Some("w"), 2);
        assert_eq!(a.len(), 2);
        assert!(a[0].starts_with("w:") && a[1].ends_with(":1"), "{a:?}");
        assert_ne!(a[0], b[0]);
    }

    #[test]
    fn worker_names_are_checked() {
        assert!(check_name("w-1.lab_a").is_ok());
        for bad in ["", "a:b", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
