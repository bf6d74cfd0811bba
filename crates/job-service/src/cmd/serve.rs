// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `serve`: checks every flag before anything starts, then the start-up `worker` shares
//! (runtime/start.rs: the store, by default the embedded one in the data dir, and the workers),
//! with the token, the connection limits, the purge and HTTP on top; serves until SIGTERM or
//! SIGINT.

use std::sync::Arc;
use std::time::Duration;

use job_core::store::OpenOptions;
use job_core::StoreUrl;

use crate::api::secret_vars::SecretVars;
use crate::auth::tokens;
use crate::cli::ServeArgs;
use crate::cmd::files;
use crate::cmd::setup::{self, StoreChoice};
use crate::http::accept;
use crate::http::tls::Tls;
use crate::runtime::start::{Plan, Runtime};
use crate::runtime::{invocation, pool};
use crate::state::AppState;
use crate::{api, CommandError};

const PURGE_EVERY: Duration = Duration::from_secs(60);

pub async fn serve(args: ServeArgs) -> Result<(), CommandError> {
    let store = setup::store_url(&args.store)?;
    check(&args, store.as_ref())?;
    // Every flag is checked before the data dir, a token or a database is created.
    let tls = tls(&args)?;
    let raised = accept::raise_fd_limit();
    let fd_limit = raised.now;
    let limits = accept::limits(&args.limits, fd_limit, args.workers)?;
    if let Some(StoreChoice {
        url: StoreUrl::Sqlite(path),
        from,
    }) = &store
    {
        files::check_database(path, from)?;
    }
    let common = setup::common(
        &args.project_dir,
        args.ansible_playbook.as_deref(),
        args.data_dir.as_deref(),
        args.trust,
    )?;
    let tokens = tokens::resolve(
        args.token_file.as_deref(),
        args.tokens_file.as_deref(),
        args.no_token,
        &common.data_dir,
    )?
    .map(Arc::new);
    tracing::info!(
        fd_limit,
        max_connections = limits.max_connections,
        max_long_polls = limits.max_long_polls,
        header_timeout = ?limits.header_timeout,
        body_timeout = ?limits.body_timeout,
        idle_timeout = ?limits.idle_timeout,
        "connection limits"
    );
    let auth = match &tokens {
        Some(t) => format!("{}: {}", t.files(), t.current().describe()),
        None => "no token: --no-token".into(),
    };
    // The embedded store, in the data dir, under the file name it has always had there.
    let store = match store {
        Some(s) => s,
        None => {
            let path = common.data_dir.join("jobs.sqlite3");
            files::check_database(&path, "--data-dir")?;
            StoreChoice {
                url: StoreUrl::Sqlite(path),
                from: "--data-dir",
            }
        }
    };
    let plan = Plan {
        common,
        store,
        open: OpenOptions {
            stdout_cap: args.stdout_cap,
            ttl: args.ttl,
            lease: args.lease,
            volatile_ok: args.store.redis_volatile,
        },
        check_every: args.store.redis_check_every,
        allow_templates_in_extra_vars: args.trust.allow_templates_in_extra_vars,
        grace: args.grace,
        event_line_max: usize::try_from(args.event_line_max).unwrap_or(usize::MAX),
        // The raised limit is for the service's connections; playbooks get the one it was given.
        child_open_files: raised.original.filter(|&o| o != raised.now),
    };
    let pass_env = invocation::pass_env(&args.env.pass_env);
    let mut runtime =
        Runtime::open(plan, |setup| AppState::new(setup).with_pass_env(pass_env)).await?;
    let state = runtime.state.clone();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CommandError::Runtime(format!("--listen {}: {e}", args.listen)))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CommandError::Runtime(format!("--listen {}: {e}", args.listen)))?;
    let policy =
        api::guard::Policy::new(bound, args.public_url.clone(), args.allowed_origin.clone())
            .with_tls(tls.is_some());
    tracing::info!("{}", policy.describe());
    if bound.ip().is_unspecified() && args.public_url.is_empty() {
        tracing::warn!(
            "--listen {bound}: clients must use an IP address; a DNS name they use needs --public-url URL"
        );
    }
    // With a shared store this process takes its turn at the reaper under a name of its own,
    // even when it runs no workers (--workers 0).
    let reaper = setup::worker_names(Some("api"), 1).concat();
    runtime.start(setup::worker_names(None, args.workers), reaper)?;
    runtime.watch_changes();
    tokio::spawn(purge(state.clone(), args.ttl));
    tokens::reload_on_hangup(tokens.clone(), state.stopped.clone())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let acceptor = match tls {
        Some(tls) => {
            let acceptor = tls.acceptor();
            Arc::new(tls)
                .reload_on_sighup()
                .map_err(|e| CommandError::Runtime(e.to_string()))?;
            Some(acceptor)
        }
        None => None,
    };
    let shutdown = pool::shutdown_signal();
    crate::cmd::notify::ready(&state, &format!("listening on {bound}"));
    println!(
        "listening on {scheme}://{} ({auth}; project {}, {} workers, store {})",
        args.listen,
        state.project.root().display(),
        args.workers,
        runtime.store_name,
    );
    let api_config = api::ApiConfig::new(tokens, args.sync_max, policy)
        .with_secret_vars(SecretVars::new(&args.secret_var))
        .with_long_polls(limits.max_long_polls)
        .with_body_timeout(limits.body_timeout);
    accept::serve(
        listener,
        api::router(state.clone(), api_config),
        limits,
        acceptor,
        async {
            shutdown.await;
            state.closing.cancel();
        },
    )
    .await;
    runtime.drain().await;
    Ok(())
}

fn check(args: &ServeArgs, store: Option<&StoreChoice>) -> Result<(), CommandError> {
    if !args.listen.ip().is_loopback() && args.no_token {
        return Err(CommandError::Usage(format!(
            "--listen {} --no-token: a token is required off loopback; drop --no-token (the token is then <data-dir>/token, or give --token-file FILE or --tokens-file FILE)",
            args.listen
        )));
    }
    if args.workers > 256 {
        return Err(CommandError::Usage("--workers: at most 256".into()));
    }
    if args.workers == 0 && !store.is_some_and(|s| s.url.shared()) {
        return Err(CommandError::Usage(
            "--workers 0: with the embedded store nothing else would run the jobs; give a shared store (--store redis://...) and start `worker` processes, or N ≥ 1".into(),
        ));
    }
    if args.sync_max.is_zero() {
        return Err(CommandError::Usage(
            "--sync-max: must be at least 1s".into(),
        ));
    }
    setup::check_lease(args.lease)
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

/// The TLS pair, checked before anything listens; with it, the URLs clients use are https.
fn tls(args: &ServeArgs) -> Result<Option<Tls>, CommandError> {
    let (Some(cert), Some(key)) = (&args.tls.tls_cert, &args.tls.tls_key) else {
        return Ok(None);
    };
    let tls = Tls::load(cert, key).map_err(|e| CommandError::Usage(e.to_string()))?;
    if let Some(u) = args.public_url.iter().find(|u| !u.is_https()) {
        return Err(CommandError::Usage(format!(
            "--public-url {}: the service speaks HTTPS (--tls-cert), so clients reach it by an https:// URL; give that",
            u.origin()
        )));
    }
    Ok(Some(tls))
}
