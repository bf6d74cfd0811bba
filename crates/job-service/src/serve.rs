// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `serve`: checks every flag before anything starts, then recovers the store, starts the
//! workers and the purge, and serves until SIGTERM or SIGINT.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use job_core::store::sqlite::SqliteStore;
use job_core::validate::Project;
use job_core::Store;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;
use crate::state::{AppState, Metrics};
use crate::{api, callback, worker, Failure};

const PURGE_EVERY: Duration = Duration::from_secs(60);

pub async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let ready = check(&args)?;
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&ready.data_dir.join("jobs.sqlite3"), args.stdout_cap).map_err(|e| {
            Failure::Runtime(format!(
                "cannot open the store in {}: {e}",
                ready.data_dir.display()
            ))
        })?,
    );
    recover(&store, args.grace).await?;
    let callback_dir = callback::install(&ready.data_dir)
        .map_err(|e| Failure::Runtime(format!("cannot write the job_events callback: {e}")))?;
    let state = Arc::new(AppState {
        store,
        project: ready.project,
        data_dir: ready.data_dir.clone(),
        ansible_playbook: ready.ansible_playbook,
        token: ready.token,
        sync_max: args.sync_max,
        grace: args.grace,
        wake: Notify::new(),
        changes: watch::channel(0).0,
        runs: Default::default(),
        stopping: CancellationToken::new(),
        metrics: Metrics::default(),
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::Runtime(format!("--listen {}: {e}", args.listen)))?;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    // Workers get a runtime of their own: spawning ansible-playbook forks inside the runtime
    // thread, and on a busy machine that must not hold up the threads answering HTTP.
    let runs = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("ajs-worker")
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the workers' runtime: {e}")))?;
    let mut workers = Vec::new();
    for n in 0..args.workers {
        let name = format!("{}:{}:{n}", host.trim(), std::process::id());
        workers.push(runs.spawn(worker::run(state.clone(), name, callback_dir.clone())));
    }
    tokio::spawn(purge(state.clone(), args.ttl));
    println!(
        "listening on http://{} (project {}, {} workers, store sqlite:{})",
        args.listen,
        state.project.root().display(),
        args.workers,
        ready.data_dir.join("jobs.sqlite3").display()
    );
    let shutdown = shutdown_signal();
    axum::serve(listener, api::router(state.clone()))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Failure::Runtime(format!("serving: {e}")))?;
    drain(&state, workers, args.grace).await;
    runs.shutdown_background();
    drop(ready.lock);
    Ok(())
}

/// Stop claiming; give running playbooks the grace to end, then stop them: they end `failed`,
/// reason `lost`, which is what a restart would have made of them anyway.
async fn drain(state: &Arc<AppState>, workers: Vec<tokio::task::JoinHandle<()>>, grace: Duration) {
    let active = state.runs.lock().unwrap_or_else(|p| p.into_inner()).len();
    if active > 0 {
        tracing::warn!(active, "stopping: waiting {grace:?} for running playbooks");
    }
    // No claim from here on: a queued job stays pending for the next start.
    state.stopping.cancel();
    let all = futures_util::future::join_all(workers);
    tokio::pin!(all);
    tokio::select! {
        _ = &mut all => return,
        _ = tokio::time::sleep(grace) => {}
    }
    let ids: Vec<_> = state
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .keys()
        .copied()
        .collect();
    for id in ids {
        state.cancel_run(id);
    }
    all.await;
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

async fn recover(store: &Arc<dyn Store>, grace: Duration) -> Result<(), Failure> {
    let lost = store
        .recover()
        .await
        .map_err(|e| Failure::Runtime(format!("recovering the store: {e}")))?;
    for l in lost {
        tracing::warn!(job = %l.id, "was running when the service stopped: failed, reason lost");
        if let Some((pid, start)) = l.pid {
            let killed = tokio::task::spawn_blocking(move || {
                job_runner::kill_group_if_same(pid, start, grace)
            })
            .await
            .unwrap_or(false);
            if killed {
                tracing::warn!(job = %l.id, pid, "killed what was left of its run");
            }
        }
    }
    Ok(())
}

async fn purge(state: Arc<AppState>, ttl: Duration) {
    let ttl_us = i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX);
    loop {
        let before = job_core::time::now_micros().saturating_sub(ttl_us);
        match state.store.purge(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired jobs removed"),
            Err(e) => tracing::error!(error = %e, "purge failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = state.stopping.cancelled() => return,
        }
    }
}

struct Ready {
    project: Project,
    data_dir: PathBuf,
    ansible_playbook: PathBuf,
    token: Option<Vec<u8>>,
    lock: nix::fcntl::Flock<File>,
}

/// Every flag, before anything is created or started.
fn check(args: &ServeArgs) -> Result<Ready, Failure> {
    if args.redis_url.is_some() {
        return Err(Failure::Usage(
            "--redis-url: this build has the embedded store only; drop --redis-url to run on SQLite".into(),
        ));
    }
    if !args.listen.ip().is_loopback() && args.token_file.is_none() {
        return Err(Failure::Usage(format!(
            "--listen {}: not a loopback address, so --token-file FILE is required (clients then send `Authorization: Bearer <token>`)",
            args.listen
        )));
    }
    if args.workers > 256 {
        return Err(Failure::Usage("--workers: at most 256".into()));
    }
    if args.sync_max.is_zero() {
        return Err(Failure::Usage("--sync-max: must be at least 1s".into()));
    }
    let project = Project::open(&args.project_dir).map_err(|e| {
        Failure::Usage(format!(
            "--project-dir {}: {e}; give the directory that holds the playbooks",
            args.project_dir.display()
        ))
    })?;
    let token = match &args.token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    let ansible_playbook = match &args.ansible_playbook {
        Some(p) => executable(p).ok_or_else(|| {
            Failure::Usage(format!("--ansible-playbook {}: not an executable file", p.display()))
        })?,
        None => find_in_path("ansible-playbook").ok_or_else(|| {
            Failure::Usage("no ansible-playbook in PATH: install ansible-core, or give --ansible-playbook PATH".into())
        })?,
    };
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| project.root().join(".job-service"));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&data_dir)
        .map_err(|e| Failure::Usage(format!("--data-dir {}: {e}", data_dir.display())))?;
    let lock_file = File::create(data_dir.join("lock"))
        .map_err(|e| Failure::Usage(format!("--data-dir {}: {e}", data_dir.display())))?;
    let lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|_| {
        Failure::Runtime(format!(
            "another ansible-job-service is using --data-dir {}; stop it or give another --data-dir",
            data_dir.display()
        ))
    })?;
    Ok(Ready {
        project,
        data_dir,
        ansible_playbook,
        token,
        lock,
    })
}

fn read_token(path: &Path) -> Result<Vec<u8>, Failure> {
    let bad = |why: String| Failure::Usage(format!("--token-file {}: {why}", path.display()));
    let mut f = File::open(path).map_err(|e| bad(e.to_string()))?;
    let meta = f.metadata().map_err(|e| bad(e.to_string()))?;
    if meta.mode() & 0o077 != 0 {
        tracing::warn!(file = %path.display(), "the token file is readable by others; chmod 600 it");
    }
    let mut s = String::new();
    f.read_to_string(&mut s).map_err(|e| bad(e.to_string()))?;
    let token = s.trim();
    if token.len() < 16 || token.contains(char::is_whitespace) {
        return Err(bad(
            "the token must be one word of at least 16 characters".into()
        ));
    }
    Ok(token.as_bytes().to_vec())
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
