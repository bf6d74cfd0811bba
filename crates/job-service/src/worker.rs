// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A worker: claims the oldest pending job, runs ansible-playbook for it through job-runner,
//! streams its output and events into the store, and records how it ended.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use job_core::{Finish, Inventory, Job, Reason, Stats, Status};
use job_runner::{End, Msg, Spec};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::orphans;
use crate::state::{AppState, Metrics, RunHandle};

const FLUSH_EVERY: Duration = Duration::from_millis(100);
const FLUSH_BYTES: usize = 64 * 1024;

pub async fn run(state: Arc<AppState>, name: String, callback_dir: PathBuf) {
    loop {
        if state.stopping.is_cancelled() {
            return;
        }
        match state.store.claim(&name).await {
            // A job taken after SIGTERM still runs: it was moved off the queue, and the drain
            // gives it the grace like any other.
            Ok(Some(job)) => {
                state.changed();
                Metrics::add(&state.metrics.started);
                state.metrics.running.fetch_add(1, Ordering::Relaxed);
                let id = job.id;
                let s = state.clone();
                let cb = callback_dir.clone();
                // The run is a task of its own: if it panicked, the job would still get an end.
                let outcome = tokio::spawn(async move { run_one(&s, job, &cb).await }).await;
                state.metrics.running.fetch_sub(1, Ordering::Relaxed);
                if let Err(e) = outcome {
                    tracing::error!(job = %id, error = %e, "a run failed inside the service");
                    let lost = Finish {
                        status: Status::Failed,
                        reason: Some(Reason::Lost),
                        rc: None,
                        stats: None,
                    };
                    let _ = state.store.finish(id, lost).await;
                    state.changed();
                }
            }
            Ok(None) if state.store.claim_waits() => {}
            Ok(None) => {
                tokio::select! {
                    _ = state.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = state.stopping.cancelled() => return,
                }
            }
            Err(e) => {
                tracing::error!(worker = %name, error = %e, "claim failed; retrying in 1 s");
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
    // A cancel that came between the claim and the line above only reached the store.
    if let Ok(Some(now)) = state.store.get(id).await {
        if now.cancel_requested {
            handle.cancel.cancel();
        }
    }
    let job_dir = state.data_dir.join("jobs").join(id.to_string());
    let finish = match prepare(state, &job, &job_dir, callback_dir) {
        Ok((spec, claim)) => {
            let finish = execute(state, &job, spec, &handle, &job_dir).await;
            // Gone before the lock is let go: a scan never finds a dir without a live owner.
            let _ = std::fs::remove_dir_all(&job_dir);
            drop(claim);
            finish
        }
        Err(msg) => {
            let _ = state
                .store
                .append_output(id, format!("{msg}\n").into_bytes())
                .await;
            Finish {
                status: Status::Failed,
                reason: Some(Reason::Spawn),
                rc: None,
                stats: None,
            }
        }
    };
    // The job dir holds the extra vars: it goes as soon as the run is over.
    let _ = std::fs::remove_dir_all(&job_dir);
    state
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    if let Err(e) = state.store.finish(id, finish).await {
        tracing::error!(job = %id, error = %e, "could not record the end of a run");
    }
    state.changed();
}

/// The command line, the job dir and the environment; a refusal is a `spawn` failure. The job
/// dir's lock is held until the run ended: see orphans.rs.
fn prepare(
    state: &AppState,
    job: &Job,
    job_dir: &Path,
    callback_dir: &Path,
) -> Result<(Spec, orphans::Claim), String> {
    let spec = &job.spec;
    // Resolved again at run time: a symlink swapped since the POST must not lead outside.
    let playbook = state
        .project
        .resolve(&spec.playbook)
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "playbook {} is no longer a file inside the project",
                spec.playbook
            )
        })?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(job_dir)
        .map_err(|e| format!("cannot create the job dir {}: {e}", job_dir.display()))?;
    let claim = orphans::Claim::take(job_dir)
        .map_err(|e| format!("cannot lock the job dir {}: {e}", job_dir.display()))?;
    let vars = job_dir.join("extra_vars.json");
    write_private(
        &vars,
        &serde_json::to_vec(&spec.extra_vars).unwrap_or_else(|_| b"{}".to_vec()),
    )
    .map_err(|e| format!("cannot write {}: {e}", vars.display()))?;
    let mut args: Vec<OsString> = vec!["-i".into()];
    match &spec.inventory {
        Inventory::Hosts(_) => args.push(spec.inventory.display().into()),
        Inventory::File(rel) => {
            let path = state
                .project
                .resolve(rel)
                .filter(|p| p.starts_with(state.project.root().join("inventories")) && p.is_file())
                .ok_or_else(|| format!("inventory {rel} is no longer a file under inventories/"))?;
            args.push(path.into());
        }
    }
    args.push("-e".into());
    let mut at = OsString::from("@");
    at.push(&vars);
    args.push(at);
    if let Some(limit) = &spec.limit {
        args.push(format!("--limit={limit}").into());
    }
    if let Some(tags) = &spec.tags {
        args.push(format!("--tags={}", tags.join(",")).into());
    }
    if spec.check {
        args.push("--check".into());
    }
    args.push(playbook.into());
    let run = Spec {
        program: state.ansible_playbook.clone(),
        args,
        cwd: state.project.root().to_path_buf(),
        env: environment(callback_dir),
        timeout: spec.timeout.map(Duration::from_secs),
        grace: state.grace,
        events_fd: true,
    };
    Ok((run, claim))
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Only these reach ansible-playbook from the service's environment (plus the operator's
/// ANSIBLE_* settings): a token or a cloud credential in the service's env stays there.
const PASSED: [&str; 11] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "SSH_AUTH_SOCK",
    "VIRTUAL_ENV",
    "TERM",
];

fn environment(callback_dir: &Path) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut enabled = String::new();
    let mut plugin_dirs = callback_dir.as_os_str().to_owned();
    for (k, v) in std::env::vars_os() {
        let Some(key) = k.to_str() else { continue };
        match key {
            "ANSIBLE_CALLBACKS_ENABLED" | "ANSIBLE_CALLBACK_WHITELIST" => {
                enabled = v.to_string_lossy().into_owned();
            }
            "ANSIBLE_CALLBACK_PLUGINS" => {
                plugin_dirs.push(":");
                plugin_dirs.push(&v);
            }
            "ANSIBLE_FORCE_COLOR" | "ANSIBLE_NOCOLOR" | "JOB_EVENTS_FD" => {}
            _ if PASSED.contains(&key) || key.starts_with("LC_") || key.starts_with("ANSIBLE_") => {
                env.push((k, v));
            }
            _ => {}
        }
    }
    let enabled = if enabled.trim().is_empty() {
        "job_events".to_string()
    } else {
        format!("{enabled},job_events")
    };
    env.extend([
        ("ANSIBLE_CALLBACK_PLUGINS".into(), plugin_dirs),
        ("ANSIBLE_CALLBACKS_ENABLED".into(), enabled.into()),
        ("JOB_EVENTS_FD".into(), "3".into()),
        ("ANSIBLE_NOCOLOR".into(), "1".into()),
        ("ANSIBLE_FORCE_COLOR".into(), "0".into()),
        ("ANSIBLE_RETRY_FILES_ENABLED".into(), "0".into()),
        ("PYTHONUNBUFFERED".into(), "1".into()),
    ]);
    env
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
                    events.push(ev);
                }
                None => break,
            },
            _ = tick.tick() => flush(state, job, &mut out, &mut events).await,
        }
    }
    flush(state, job, &mut out, &mut events).await;
    let outcome = match run.await {
        Ok(o) => o,
        Err(e) => {
            let _ = state
                .store
                .append_output(id, format!("the run's task failed: {e}\n").into_bytes())
                .await;
            return Finish {
                status: Status::Failed,
                reason: Some(Reason::Lost),
                rc: None,
                stats: None,
            };
        }
    };
    let (status, reason, rc) = match outcome.end {
        End::Exited(0) => (Status::Successful, None, Some(0)),
        End::Exited(code) => (Status::Failed, Some(Reason::Rc), Some(code)),
        End::Signaled(sig) => (Status::Failed, Some(Reason::Rc), Some(-sig)),
        End::TimedOut => (Status::Failed, Some(Reason::Timeout), outcome.rc),
        End::Canceled if state.stopping.is_cancelled() || handle.lost.load(Ordering::SeqCst) => {
            (Status::Failed, Some(Reason::Lost), outcome.rc)
        }
        End::Canceled => (Status::Canceled, None, outcome.rc),
        End::SpawnFailed(msg) => {
            let _ = state
                .store
                .append_output(id, format!("{msg}\n").into_bytes())
                .await;
            (Status::Failed, Some(Reason::Spawn), None)
        }
    };
    Finish {
        status,
        reason,
        rc,
        stats,
    }
}

async fn flush(state: &AppState, job: &Job, out: &mut Vec<u8>, events: &mut Vec<Value>) {
    if !out.is_empty() {
        if let Err(e) = state.store.append_output(job.id, std::mem::take(out)).await {
            tracing::error!(job = %job.id, error = %e, "could not store output");
        }
    }
    if !events.is_empty() {
        if let Err(e) = state
            .store
            .append_events(job.id, std::mem::take(events))
            .await
        {
            tracing::error!(job = %job.id, error = %e, "could not store events");
        }
        state.changed();
    }
}
