// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `worker`: runs jobs from the shared store (Redis) that the API processes use, on any machine that reaches
//! it. No HTTP here: it takes jobs, runs them, heartbeats and takes its turn at the reaper until SIGTERM,
//! then drains.

use std::time::Duration;

use job_core::store::OpenOptions;

use crate::cli::WorkerArgs;
use crate::cmd::setup;
use crate::runtime::start::{Plan, Runtime};
use crate::runtime::{invocation, pool};
use crate::state::AppState;
use crate::CommandError;

pub async fn worker(args: WorkerArgs) -> Result<(), CommandError> {
    crate::cmd::hangup::take(Some(
        "nothing to reload (a worker reads no file after its start)",
    ))?;
    if args.concurrency == 0 || args.concurrency > 256 {
        return Err(CommandError::Usage("--concurrency: 1 to 256".into()));
    }
    if let Some(name) = &args.name {
        setup::check_name(name)?;
    }
    setup::check_lease(args.lease)?;
    let store = setup::store_url(&args.store)?.ok_or_else(|| {
        CommandError::Usage(
            "worker needs a shared store: give --store redis://HOST[:PORT][/DB], --store-file FILE or AJS_STORE (or --redis-url URL)"
                .into(),
        )
    })?;
    if !store.url.shared() {
        return Err(CommandError::Usage(format!(
            "{} {}: the embedded store is one `serve` process's; a worker needs a shared store: give --store redis://HOST[:PORT][/DB]",
            store.from, store.url
        )));
    }
    let common = setup::common(
        &args.project_dir,
        args.ansible_playbook.as_deref(),
        args.data_dir.as_deref(),
        args.trust,
    )?;
    let plan = Plan {
        common,
        store,
        // The TTL and the stdout cap travel with each job, set by the API that took it.
        open: OpenOptions {
            stdout_cap: 8 * 1024 * 1024,
            ttl: Duration::from_secs(86400),
            lease: args.lease,
            volatile_ok: args.store.redis_volatile,
        },
        check_every: args.store.redis_check_every,
        allow_templates_in_extra_vars: args.trust.allow_templates_in_extra_vars,
        grace: args.grace,
        event_line_max: usize::try_from(args.event_line_max).unwrap_or(usize::MAX),
        child_open_files: None,
    };
    let pass_env = invocation::pass_env(&args.env.pass_env);
    let mut runtime =
        Runtime::open(plan, |setup| AppState::new(setup).with_pass_env(pass_env)).await?;
    let names = setup::worker_names(args.name.as_deref(), args.concurrency);
    let me = names.first().cloned().unwrap_or_default();
    runtime.start(names, me.clone())?;
    let shutdown = pool::shutdown_signal();
    let base = me.rsplit_once(':').map(|(b, _)| b).unwrap_or(&me);
    crate::cmd::notify::ready(
        &runtime.state,
        &format!("worker {base}: {} at once", args.concurrency),
    );
    println!(
        "worker {base} ready: {} at once, project {}, store {}",
        args.concurrency,
        runtime.state.project.root().display(),
        runtime.store_name,
    );
    shutdown.await;
    tracing::info!("SIGTERM: no more jobs taken; draining");
    runtime.drain().await;
    Ok(())
}
