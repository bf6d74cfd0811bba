// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The checks `serve` and `worker` share, run before anything is created or started: each names
//! the flag at fault and the fix.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use job_core::store::{redact, OpenOptions, Opened};
use job_core::{Project, StoreUrl};

use crate::cli::{StoreArgs, TrustArgs};
use crate::CommandError;

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
) -> Result<Common, CommandError> {
    let project = Project::open(project_dir)
        .map_err(|e| {
            CommandError::Usage(format!(
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
            CommandError::Usage(format!(
                "--ansible-playbook {}: not an executable file",
                p.display()
            ))
        })?,
        None => find_in_path("ansible-playbook").ok_or_else(|| {
            CommandError::Usage(
                "no ansible-playbook in PATH: install ansible-core, or give --ansible-playbook PATH"
                    .into(),
            )
        })?,
    };
    let data_dir = crate::cmd::data_dir::resolve(data_dir)?;
    // Whatever the token's source, the data dir holds the database, the lock and each job's
    // vars file: nobody else may write in it.
    crate::cmd::files::check_dir(&data_dir, "--data-dir")?;
    Ok(Common {
        project,
        ansible_playbook,
        data_dir,
    })
}

pub fn check_lease(lease: Duration) -> Result<(), CommandError> {
    if lease < Duration::from_secs(2) || lease > Duration::from_secs(3600) {
        return Err(CommandError::Usage(
            "--lease: between 2s and 1h (30s is the default)".into(),
        ));
    }
    Ok(())
}

/// The environment variable that may hold the store URL (kept off the command line).
pub const STORE_ENV: &str = "AJS_STORE";

/// The store URL and where it came from: messages about the store name that flag or variable.
#[derive(Debug)]
pub struct StoreChoice {
    pub url: StoreUrl,
    pub from: &'static str,
}

/// The one place that turns `--store`, `--store-file`, `AJS_STORE` and their older Redis-only
/// spellings (`--redis-url`, `--redis-url-file`, `AJS_REDIS_URL`) into a store URL: one of them
/// at most; `None` when none is given.
pub fn store_url(args: &StoreArgs) -> Result<Option<StoreChoice>, CommandError> {
    if args.redis_check_every < Duration::from_secs(1) {
        return Err(CommandError::Usage(
            "--redis-check-every: at least 1s".into(),
        ));
    }
    // AJS_STORE, AJS_STORE_FILE, AJS_REDIS_URL and AJS_REDIS_URL_FILE reach these fields
    // through clap (config.rs), a flag ranked over its variable; two of them at once is a clap
    // conflict.
    let argv = args.url_in_argv;
    // The flag's name, or its variable's when that is where the value came from.
    let name = |id: &str, flag: &'static str, var: &'static str| {
        if args.from_env.contains(&id) {
            var
        } else {
            flag
        }
    };
    let (from, text, redis_only) = if let Some(url) = &args.store {
        let from = name("store", "--store", "AJS_STORE");
        warn_password(from, url, argv);
        (from, url.clone(), false)
    } else if let Some(url) = &args.redis_url {
        let from = name("redis_url", "--redis-url", "AJS_REDIS_URL");
        warn_password(from, url, argv);
        (from, url.clone(), true)
    } else if let Some(path) = &args.store_file {
        let from = name("store_file", "--store-file", "AJS_STORE_FILE");
        (from, read_url_file(path, from)?, false)
    } else if let Some(path) = &args.redis_url_file {
        let from = name("redis_url_file", "--redis-url-file", "AJS_REDIS_URL_FILE");
        (from, read_url_file(path, from)?, true)
    } else {
        return Ok(None);
    };
    let text = text.trim().to_string();
    let url = StoreUrl::parse(&text)
        .map_err(|e| CommandError::Usage(format!("{from} {}: {e}", redact(&text))))?;
    if redis_only && !url.shared() {
        return Err(CommandError::Usage(format!(
            "{from} {url}: takes a redis:// URL; give an embedded store with --store sqlite:PATH"
        )));
    }
    Ok(Some(StoreChoice { url, from }))
}

/// A password on the command line, where every user can read it (not from the environment or
/// the config file).
fn warn_password(flag: &str, url: &str, in_argv: bool) {
    if in_argv && job_core::store::has_password(url) {
        tracing::warn!(
            "{flag} carries a password, which every user of this machine can read in \
             /proc/{}/cmdline: use --store-file FILE or {STORE_ENV} instead",
            std::process::id()
        );
    }
}

/// The first line of a file only its owner (and group) may read: it may hold a password.
fn read_url_file(path: &Path, flag: &str) -> Result<String, CommandError> {
    let bad = |why: String| CommandError::Usage(format!("{flag} {}: {why}", path.display()));
    // Symlinks are followed (secrets are often mounted as links); a FIFO is refused unread.
    let mut f = crate::auth::token::open_regular(path, false).map_err(|e| bad(e.to_string()))?;
    let mode = f.metadata().map_err(|e| bad(e.to_string()))?.mode();
    if mode & 0o004 != 0 {
        return Err(bad(format!(
            "readable by every user (mode {:o}), and it may hold the store's password: chmod o-r (600 is best)",
            mode & 0o777
        )));
    }
    if mode & 0o040 != 0 {
        tracing::warn!(file = %path.display(), "the store URL file is readable by its group; chmod 600 it unless the group is meant to");
    }
    let mut s = String::new();
    f.read_to_string(&mut s).map_err(|e| bad(e.to_string()))?;
    let url = s.lines().next().unwrap_or("").trim();
    if url.is_empty() {
        return Err(bad(format!(
            "the first line must be the URL ({})",
            job_core::store::STORE_URL_FORMS
        )));
    }
    Ok(url.to_string())
}

/// Opens the store before anything starts: an unreachable one, or one that can lose data (a
/// Redis that evicts keys, or keeps nothing on disk without --redis-volatile), is a usage error
/// naming the flag and the fix.
pub async fn open_store(choice: &StoreChoice, opts: OpenOptions) -> Result<Opened, CommandError> {
    let opened = job_core::store::open(&choice.url, opts)
        .await
        .map_err(|e| {
            let text = format!("{} {}: {e}", choice.from, choice.url);
            if e.is_usage() {
                CommandError::Usage(text)
            } else {
                CommandError::Runtime(text)
            }
        })?;
    for w in &opened.warnings {
        tracing::warn!("{w}");
    }
    Ok(opened)
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

pub fn check_name(name: &str) -> Result<(), CommandError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(CommandError::Usage(format!(
            "--name {name:?}: 1 to 64 characters from A-Z a-z 0-9 . _ -"
        )))
    }
}

/// The embedded store is one process's: a second one on the same data dir is refused.
pub fn lock_data_dir(data_dir: &Path) -> Result<nix::fcntl::Flock<File>, CommandError> {
    let lock_file = job_core::store::open_lock(&data_dir.join("lock"))
        .map_err(|e| CommandError::Usage(format!("--data-dir {}: {e}", data_dir.display())))?;
    nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(
        |_| {
            CommandError::Runtime(format!(
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
