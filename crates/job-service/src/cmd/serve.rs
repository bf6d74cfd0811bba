// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `serve`: checks every flag before anything starts, opens the store (embedded SQLite, or
//! Redis), recovers what a crash left, starts the workers and the purge, and serves until
//! SIGTERM or SIGINT.

use std::sync::{Arc, Weak};
use std::time::Duration;

use job_core::store::redis::RedisOptions;
use job_core::store::sqlite::SqliteStore;
use job_core::Store;

use crate::auth::token;
use crate::cli::ServeArgs;
use crate::cmd::setup;
use crate::http::accept;
use crate::runtime::lease::{self, Rhythm};
use crate::runtime::pool::{self, Pool};
use crate::runtime::{callback, orphans};
use crate::state::{AppState, Setup};
use crate::{api, Failure};

const PURGE_EVERY: Duration = Duration::from_secs(60);

pub async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let redis_url = setup::redis_url(&args.redis)?;
    check(&args, redis_url.is_some())?;
    let common = setup::common(
        &args.project_dir,
        args.ansible_playbook.as_deref(),
        args.data_dir.as_deref(),
        args.trust,
    )?;
    let token = token::resolve(args.token_file.as_deref(), args.no_token, &common.data_dir)?;
    let raised = accept::raise_fd_limit();
    let fd_limit = raised.now;
    let limits = accept::limits(&args.limits, fd_limit, args.workers)?;
    tracing::info!(
        fd_limit,
        max_connections = limits.max_connections,
        max_long_polls = limits.max_long_polls,
        header_timeout = ?limits.header_timeout,
        body_timeout = ?limits.body_timeout,
        idle_timeout = ?limits.idle_timeout,
        "connection limits"
    );
    let auth = match &token {
        Some(t) => format!("token in {}", t.path.display()),
        None => "no token: --no-token".into(),
    };
    let data_dir = common.data_dir.clone();
    let mut lock = None;
    let mut redis_store = None;
    let (store, store_name): (Arc<dyn Store>, String) = match &redis_url {
        Some(url) => {
            let opts = RedisOptions {
                lease: args.lease,
                ttl: args.ttl,
                stdout_cap: args.stdout_cap,
                block: Duration::from_secs(1),
            };
            let store = setup::redis(url, opts, args.redis.redis_volatile).await?;
            redis_store = Some(store.clone());
            (store, setup::redact(url))
        }
        None => {
            lock = Some(setup::lock_data_dir(&data_dir)?);
            let file = data_dir.join("jobs.sqlite3");
            let store = SqliteStore::open(&file, args.stdout_cap).map_err(|e| {
                Failure::Runtime(format!(
                    "cannot open the store in {}: {e}",
                    data_dir.display()
                ))
            })?;
            (Arc::new(store), format!("sqlite:{}", file.display()))
        }
    };
    if redis_url.is_none() {
        recover(&store, args.grace).await?;
    }
    let grace = args.grace;
    let jobs_dir = data_dir.join("jobs");
    let _ = tokio::task::spawn_blocking(move || orphans::sweep(&jobs_dir, grace)).await;
    let callback_dir = callback::install(&data_dir)
        .map_err(|e| Failure::Runtime(format!("cannot write the job_events callback: {e}")))?;
    let setup = Setup {
        store,
        project: common.project,
        data_dir,
        ansible_playbook: common.ansible_playbook,
        allow_templates_in_extra_vars: args.trust.allow_templates_in_extra_vars,
        grace: args.grace,
        event_line_max: usize::try_from(args.event_line_max).unwrap_or(usize::MAX),
        // The raised limit is for the service's connections; playbooks get the one it was given.
        child_open_files: raised.original.filter(|&o| o != raised.now),
    };
    let state = Arc::new(
        AppState::new(setup, token.map(|t| t.secret), args.sync_max)
            .with_long_polls(limits.max_long_polls)
            .with_body_timeout(limits.body_timeout),
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::Runtime(format!("--listen {}: {e}", args.listen)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::Runtime(format!("--listen {}: {e}", args.listen)))?;
    let policy =
        api::guard::Policy::new(bound, args.public_url.clone(), args.allowed_origin.clone());
    tracing::info!("{}", policy.describe());
    if bound.ip().is_unspecified() && args.public_url.is_empty() {
        tracing::warn!(
            "--listen {bound}: clients must use an IP address; a DNS name they use needs --public-url URL"
        );
    }
    let names = setup::worker_names(None, args.workers);
    let pool = Pool::start(&state, names.clone(), &callback_dir)?;
    if let Some(redis_store) = redis_store {
        lease::watch_redis(
            state.clone(),
            redis_store,
            args.redis.redis_volatile,
            args.redis.redis_check_every,
        );
        let weak: Weak<AppState> = Arc::downgrade(&state);
        state.store.watch_changes(Arc::new(move |_| {
            if let Some(s) = weak.upgrade() {
                s.changed();
            }
        }));
        let me = setup::worker_names(Some("api"), 1).concat();
        lease::spawn(state.clone(), names, me, Rhythm::for_lease(args.lease));
    }
    tokio::spawn(purge(state.clone(), args.ttl));
    crate::cmd::notify::ready(&state, &format!("listening on {bound}"));
    println!(
        "listening on http://{} ({auth}; project {}, {} workers, store {store_name})",
        args.listen,
        state.project.root().display(),
        args.workers,
    );
    accept::serve(
        listener,
        api::router(state.clone(), policy),
        limits,
        async {
            pool::shutdown_signal().await;
            state.closing.cancel();
        },
    )
    .await;
    pool.drain(&state, args.grace).await;
    drop(lock);
    Ok(())
}

fn check(args: &ServeArgs, redis: bool) -> Result<(), Failure> {
    if !args.listen.ip().is_loopback() && args.no_token {
        return Err(Failure::Usage(format!(
            "--listen {} --no-token: a token is required off loopback; drop --no-token (the token is then <data-dir>/token, or give --token-file FILE)",
            args.listen
        )));
    }
    if args.workers > 256 {
        return Err(Failure::Usage("--workers: at most 256".into()));
    }
    if args.workers == 0 && !redis {
        return Err(Failure::Usage(
            "--workers 0: with the embedded store nothing else would run the jobs; give --redis-url and start `worker` processes, or N ≥ 1".into(),
        ));
    }
    if args.sync_max.is_zero() {
        return Err(Failure::Usage("--sync-max: must be at least 1s".into()));
    }
    setup::check_lease(args.lease)
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
        let before = job_core::now_micros().saturating_sub(ttl_us);
        match state.store.purge(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "expired jobs removed"),
            Err(e) => tracing::error!(error = %e, "purge failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PURGE_EVERY) => {}
            _ = state.stopped.cancelled() => return,
        }
    }
}
