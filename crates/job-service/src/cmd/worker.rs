// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `worker`: runs jobs from the Redis that the API processes use, on any machine that reaches
//! it. No HTTP here: it claims, runs, heartbeats and takes its turn at the reaper until SIGTERM,
//! then drains.

use std::sync::Arc;
use std::time::Duration;

use job_core::store::redis::RedisOptions;

use crate::cli::WorkerArgs;
use crate::cmd::setup;
use crate::runtime::lease::{self, Rhythm};
use crate::runtime::pool::{self, Pool};
use crate::runtime::{callback, orphans};
use crate::state::{AppState, Setup};
use crate::Failure;

pub async fn worker(args: WorkerArgs) -> Result<(), Failure> {
    if args.concurrency == 0 || args.concurrency > 256 {
        return Err(Failure::Usage("--concurrency: 1 to 256".into()));
    }
    if let Some(name) = &args.name {
        setup::check_name(name)?;
    }
    setup::check_lease(args.lease)?;
    let redis_url = setup::redis_url(&args.redis)?.ok_or_else(|| {
        Failure::Usage(
            "worker needs a Redis: give --redis-url URL, --redis-url-file FILE or AJS_REDIS_URL"
                .into(),
        )
    })?;
    let common = setup::common(
        &args.project_dir,
        args.ansible_playbook.as_deref(),
        args.data_dir.as_deref(),
        args.trust,
    )?;
    // The TTL and the stdout cap travel with each job, set by the API that took it.
    let opts = RedisOptions {
        lease: args.lease,
        ttl: Duration::from_secs(86400),
        stdout_cap: 8 * 1024 * 1024,
        block: Duration::from_secs(1),
    };
    let store = setup::redis(&redis_url, opts, args.redis.redis_volatile).await?;
    let redis_store = store.clone();
    let grace = args.grace;
    let jobs_dir = common.data_dir.join("jobs");
    let _ = tokio::task::spawn_blocking(move || orphans::sweep(&jobs_dir, grace)).await;
    let callback_dir = callback::install(&common.data_dir)
        .map_err(|e| Failure::Runtime(format!("cannot write the job_events callback: {e}")))?;
    let setup = Setup {
        store,
        project: common.project,
        data_dir: common.data_dir,
        ansible_playbook: common.ansible_playbook,
        allow_templates_in_extra_vars: args.trust.allow_templates_in_extra_vars,
        grace,
        event_line_max: usize::try_from(args.event_line_max).unwrap_or(usize::MAX),
        child_open_files: None,
    };
    let state = Arc::new(AppState::new(setup, None, Duration::from_secs(1)));
    lease::watch_redis(
        state.clone(),
        redis_store,
        args.redis.redis_volatile,
        args.redis.redis_check_every,
    );
    let names = setup::worker_names(args.name.as_deref(), args.concurrency);
    let pool = Pool::start(&state, names.clone(), &callback_dir)?;
    let me = names.first().cloned().unwrap_or_default();
    lease::spawn(
        state.clone(),
        names,
        me.clone(),
        Rhythm::for_lease(args.lease),
    );
    let base = me.rsplit_once(':').map(|(b, _)| b).unwrap_or(&me);
    crate::cmd::notify::ready(
        &state,
        &format!("worker {base}: {} at once", args.concurrency),
    );
    println!(
        "worker {base} ready: {} at once, project {}, redis {}",
        args.concurrency,
        state.project.root().display(),
        setup::redact(&redis_url)
    );
    pool::shutdown_signal().await;
    tracing::info!("SIGTERM: no more claims; draining");
    pool.drain(&state, grace).await;
    Ok(())
}
