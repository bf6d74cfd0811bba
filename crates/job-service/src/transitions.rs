// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! One log line, and the metrics, for each step of a job's life: submitted (API), started (a
//! worker's claim), ended (its worker, a cancel of a pending job, the reaper, the recovery at
//! start). Every path that moves a job calls one of these, so the log tells a job's story whichever
//! path it took. The lines go to the target `job` (`RUST_LOG=job=warn` keeps only lost jobs).

use job_core::{Job, Reason};

use crate::metrics::{rounded, seconds_between, Metrics};

/// A job was created by a POST. `submitter` is the name of the token that sent it.
pub fn submitted(job: &Job, submitter: Option<&str>) {
    tracing::info!(
        target: "job",
        job = %job.id,
        name = job.spec.name.as_deref().unwrap_or("-"),
        playbook = %job.spec.playbook,
        submitter = submitter.unwrap_or("-"),
        "submitted"
    );
}

/// A worker of this process claimed the job (its `started_at` and `worker` are set).
pub fn started(metrics: &Metrics, job: &Job) {
    Metrics::add(&metrics.started);
    let wait = job
        .started_at
        .map(|s| seconds_between(job.created_at, s))
        .unwrap_or_default();
    metrics.queue_wait.observe(wait);
    tracing::info!(
        target: "job",
        job = %job.id,
        worker = job.worker.as_deref().unwrap_or("-"),
        attempt = job.attempt,
        queue_wait_s = rounded(wait),
        "started"
    );
}

/// This process moved the job to a final status; `job` is the store's answer, with
/// `finished_at`.
pub fn ended(metrics: &Metrics, job: &Job) {
    metrics.finished(job.status);
    let run = match (job.started_at, job.finished_at) {
        (Some(s), Some(f)) => {
            let run = seconds_between(s, f);
            metrics.run_duration.observe(run);
            Some(rounded(run))
        }
        _ => None,
    };
    let reason = job.reason.map_or("-", Reason::as_str);
    // A field that is `None` is left out of the line (`rc` when the run left no code, `run_s`
    // when it never started). Strings are written quoted and escaped: the error may carry a
    // task's output, and one job must stay one line.
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                target: "job",
                job = %job.id,
                status = job.status.as_str(),
                reason,
                rc = job.rc,
                run_s = run,
                worker = job.worker.as_deref().unwrap_or("-"),
                error = job.error.as_deref(),
                "ended"
            )
        };
    }
    // A lost job is news an operator must see even with `RUST_LOG=warn`.
    if job.reason == Some(Reason::Lost) {
        line!(warn);
    } else {
        line!(info);
    }
}
