// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A worker: takes the oldest pending job, runs ansible-playbook for it through job-runner,
//! streams its output and events into the store, and records how it ended.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use job_core::{Finish, Job, Reason, Stats, Status};
use job_runner::{End, Msg, Spec};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::runtime::{invocation, orphans};
use crate::state::{AppState, RunHandle};
use crate::transitions;

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_BYTES: usize = 64 * 1024;
const FINISH_RETRY: Duration = Duration::from_secs(120);
/// Output kept in memory while the store is away; beyond it, the oldest goes.
const HELD_MAX: usize = 8 * 1024 * 1024;

pub async fn run(state: Arc<AppState>, name: String, callback_dir: PathBuf) {
    loop {
        if state.stopping.is_cancelled() {
            return;
        }
        match state.store.take(&name).await {
            // A job taken after SIGTERM still runs: it was moved off the queue, and the drain
            // gives it the grace like any other.
            Ok(Some(job)) => {
                state.changed();
                transitions::started(&state.metrics, &job);
                state.metrics.running.inc();
                let id = job.id;
                let s = state.clone();
                let cb = callback_dir.clone();
                // The run is a task of its own: if it panicked, the job would still get an end.
                let outcome = tokio::spawn(async move { run_one(&s, job, &cb).await }).await;
                state.metrics.running.dec();
                if let Err(e) = outcome {
                    tracing::error!(job = %id, error = %e, "a run failed inside the service");
                    let lost = Finish::failed(
                        Reason::Lost,
                        format!("the run failed inside the service on worker {name}: {e}"),
                    );
                    if let Ok(Some(job)) = state.store.finish(id, lost).await {
                        transitions::ended(&state.metrics, &job);
                    }
                    state.changed();
                }
            }
            Ok(None) if state.store.take_waits() => {}
            Ok(None) => {
                tokio::select! {
                    _ = state.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = state.stopping.cancelled() => return,
                }
            }
            // The store's health check logs why at each pass; one line per worker per second would bury it.
            Err(e) if e.kind() == job_core::JobStoreErrorKind::Refused => {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = state.stopping.cancelled() => return,
                }
            }
            Err(e) => {
                tracing::error!(worker = %name, error = %e, "taking a job failed; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn run_one(state: &Arc<AppState>, job: Job, callback_dir: &Path) {
    let id = job.id;
    let handle = RunHandle::default();
    state
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, handle.clone());
    // A cancel that came between the take and the line above only reached the store.
    if let Ok(Some(now)) = state.store.get(id).await {
        if now.cancel_requested {
            handle.cancel.cancel();
        }
    }
    let job_dir = state.data_dir.join("jobs").join(id.to_string());
    let finish = match invocation::prepare(state, &job, &job_dir, callback_dir) {
        Ok((spec, run_lock)) => {
            let finish = execute(state, &job, spec, &handle, &job_dir).await;
            // Gone before the lock is let go: a scan never finds a dir without a live owner.
            let _ = std::fs::remove_dir_all(&job_dir);
            drop(run_lock);
            finish
        }
        Err(msg) => {
            let _ = state
                .store
                .append_output(id, format!("{msg}\n").into_bytes())
                .await;
            Finish::failed(Reason::Spawn, msg)
        }
    };
    // The job dir holds the extra vars: it goes as soon as the run is over.
    let _ = std::fs::remove_dir_all(&job_dir);
    record_end(state, id, finish).await;
    state
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    state.changed();
}

/// A store that is away for a moment (Redis restarting) must not turn a run that ended well
/// into a lost one: the end is retried, and meanwhile the job stays in `runs`, so heartbeats
/// keep its lease. After `FINISH_RETRY` the reaper's verdict stands.
async fn record_end(state: &AppState, id: job_core::JobId, finish: Finish) {
    let deadline = tokio::time::Instant::now() + FINISH_RETRY;
    loop {
        match state.store.finish(id, finish.clone()).await {
            Ok(Some(job)) => return transitions::ended(&state.metrics, &job),
            // Ended meanwhile by another path (a cancel, the reaper), which logged it.
            Ok(None) => {
                tracing::debug!(target: "job", job = %id, "the run's end came after the job had ended");
                return;
            }
            Err(e) if tokio::time::Instant::now() >= deadline => {
                tracing::error!(job = %id, error = %e, "could not record the end of a run; giving up");
                return;
            }
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "could not record the end of a run; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn execute(
    state: &Arc<AppState>,
    job: &Job,
    spec: Spec,
    handle: &RunHandle,
    job_dir: &Path,
) -> Finish {
    let id = job.id;
    let (tx, mut rx) = mpsc::channel::<Msg>(256);
    let run = tokio::spawn(job_runner::run(spec, tx, handle.cancel.clone()));
    let mut out: Vec<u8> = Vec::new();
    let mut events: Vec<Value> = Vec::new();
    let mut stats: Option<Stats> = None;
    let mut failure: Option<String> = None;
    let mut tail = Tail::default();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Started { pid, start_time }) => {
                    if let Err(e) = orphans::write_pid(job_dir, pid, start_time) {
                        tracing::error!(job = %id, error = %e, "could not record the run's pid in its job dir");
                    }
                    if let Err(e) = state.store.set_pid(id, pid, start_time).await {
                        tracing::error!(job = %id, error = %e, "could not record the run's pid");
                    }
                }
                Some(Msg::Output(chunk)) => {
                    tail.push(&chunk);
                    out.extend_from_slice(&chunk);
                    if out.len() >= FLUSH_BYTES {
                        flush(state, job, &mut out, &mut events).await;
                    }
                }
                Some(Msg::Event(ev)) => {
                    if ev.get("event").and_then(Value::as_str) == Some("playbook_on_stats") {
                        if let Some(s) = ev.get("stats").and_then(|s| serde_json::from_value::<Stats>(s.clone()).ok()) {
                            stats = Some(s);
                        }
                    }
                    if failure.is_none() {
                        failure = failed_task(&ev);
                    }
                    events.push(ev);
                }
                None => break,
            },
            _ = tick.tick() => flush(state, job, &mut out, &mut events).await,
        }
    }
    // The last of it, with the same patience as the end itself (record_end).
    let deadline = tokio::time::Instant::now() + FINISH_RETRY;
    loop {
        flush(state, job, &mut out, &mut events).await;
        if (out.is_empty() && events.is_empty()) || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let outcome = match run.await {
        Ok(o) => o,
        Err(e) => {
            let _ = state
                .store
                .append_output(id, format!("the run's task failed: {e}\n").into_bytes())
                .await;
            return Finish::failed(
                Reason::Lost,
                format!("the run's task failed inside the service: {e}"),
            );
        }
    };
    let dropped = outcome.bad_event_lines;
    if dropped > 0 {
        state.metrics.events_dropped.inc_by(dropped);
        tracing::warn!(job = %id, dropped, limit = state.event_line_max,
            "event lines of the run were not kept: longer than --event-line-max, or not JSON");
    }
    let rc_error = |what: String| {
        failure
            .clone()
            .or_else(|| tail.last_error().map(|line| format!("{what}: {line}")))
            .unwrap_or(what)
    };
    let (status, reason, rc, error) = match outcome.end {
        End::Exited(0) => (Status::Successful, None, Some(0), None),
        End::Exited(code) => (
            Status::Failed,
            Some(Reason::Rc),
            Some(code),
            Some(rc_error(format!(
                "ansible-playbook exited with code {code}"
            ))),
        ),
        End::Signaled(sig) => (
            Status::Failed,
            Some(Reason::Rc),
            Some(-sig),
            Some(rc_error(format!(
                "ansible-playbook was killed by signal {sig}"
            ))),
        ),
        End::TimedOut => {
            let limit = job.spec.timeout.unwrap_or_default();
            let error = format!("ran longer than its timeout of {limit} s and was stopped");
            (
                Status::Failed,
                Some(Reason::Timeout),
                outcome.rc,
                Some(error),
            )
        }
        End::Canceled if handle.lost.load(Ordering::SeqCst) => {
            let error = format!(
                "worker {} could not renew its lease in time (the store was unreachable); \
                 the run was stopped",
                job.worker.as_deref().unwrap_or("?")
            );
            (Status::Failed, Some(Reason::Lost), outcome.rc, Some(error))
        }
        End::Canceled if state.stopping.is_cancelled() => {
            let error = format!(
                "the service stopped (worker {}) before the run ended",
                job.worker.as_deref().unwrap_or("?")
            );
            (Status::Failed, Some(Reason::Lost), outcome.rc, Some(error))
        }
        End::Canceled => (
            Status::Canceled,
            None,
            outcome.rc,
            Some("canceled while it ran".to_string()),
        ),
        End::SpawnFailed(msg) => {
            let _ = state
                .store
                .append_output(id, format!("{msg}\n").into_bytes())
                .await;
            (Status::Failed, Some(Reason::Spawn), None, Some(msg))
        }
    };
    Finish {
        status,
        reason,
        rc,
        stats,
        error: error.map(|e| job_core::error_text(&e)),
        dropped_events: dropped,
    }
}

/// `<task> on <host>: <msg>` of an event that failed the play: a task failure not ignored, an
/// unreachable host. A failure a `rescue` handled also counts (the callback cannot tell it).
fn failed_task(ev: &Value) -> Option<String> {
    let field = |k: &str| ev.get(k).and_then(Value::as_str).unwrap_or("");
    let unreachable = match field("event") {
        "runner_on_failed" | "runner_item_on_failed" => false,
        "runner_on_unreachable" => true,
        _ => return None,
    };
    if ev.get("ignore_errors").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let mut text = format!("{} on {}: ", field("task"), field("host"));
    if unreachable {
        text.push_str("unreachable: ");
    }
    text.push_str(field("msg"));
    Some(job_core::error_text(&text))
}

/// The last bytes of a run's output, for its error when no task failed (a syntax error, a
/// missing role: ansible-playbook says `ERROR! ...` and exits).
#[derive(Default)]
struct Tail(Vec<u8>);

impl Tail {
    const KEEP: usize = 8 * 1024;

    fn push(&mut self, chunk: &[u8]) {
        self.0.extend_from_slice(chunk);
        if self.0.len() > 2 * Self::KEEP {
            self.0.drain(..self.0.len() - Self::KEEP);
        }
    }

    /// The last line that starts with `ERROR` (ansible's own errors), trimmed.
    fn last_error(&self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.0);
        text.lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with("ERROR") || l.starts_with("[ERROR]"))
            .map(job_core::error_text)
    }
}

/// What the store refused stays here and goes with the next flush.
async fn flush(state: &AppState, job: &Job, out: &mut Vec<u8>, events: &mut Vec<Value>) {
    if !out.is_empty() {
        if let Err(e) = state.store.append_output(job.id, out.clone()).await {
            tracing::warn!(job = %job.id, error = %e, "could not store output; kept for the next try");
            if out.len() > HELD_MAX {
                out.drain(..out.len() - HELD_MAX);
            }
        } else {
            out.clear();
        }
    }
    if !events.is_empty() {
        if let Err(e) = state.store.append_events(job.id, events.clone()).await {
            tracing::warn!(job = %job.id, error = %e, "could not store events; kept for the next try");
            if events.len() > 10_000 {
                events.drain(..events.len() - 10_000);
            }
        } else {
            events.clear();
        }
        state.changed();
    }
}
