// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_info's and async_prune's answers: each job as one dict, the same in both.

use jobs::inventory::{scan, Entry};
use jobs::prune::prune;
use jobs::{AsyncDir, Filter};
use protocol::{Failure, Params, Response};
use serde_json::{json, Value};
use std::time::SystemTime;

fn job(e: &Entry, now: SystemTime) -> Value {
    let mut v = json!({
        "jid": e.jid.as_str(),
        "names": e.names,
        "state": e.state.as_str(),
        "start": e.start,
        "end": e.end,
        "times_from": e.times_from.as_str(),
        "age": e.age(now).as_secs(),
        "pid": e.pid,
        "rc": e.rc,
        "command": e.command,
        "results_file": e.path.to_string_lossy(),
    });
    if let (Some(why), Some(map)) = (&e.why, v.as_object_mut()) {
        map.insert("reason".into(), Value::from(why.as_str()));
    }
    v
}

/// The jobs and dangling names the filter selects. Reads only; takes no lock.
pub fn info(dir: &AsyncDir, filter: &Filter) -> Result<Response, Failure> {
    let inv = scan(dir)?;
    let now = SystemTime::now();
    let jobs: Vec<Value> = inv
        .jobs
        .iter()
        .filter(|e| filter.job(&e.names, e.state, e.age(now)))
        .map(|e| job(e, now))
        .collect();
    let dangling: Vec<Value> = if filter.states.is_none() {
        inv.dangling
            .iter()
            .filter(|d| {
                filter.dangling(&d.name, now.duration_since(d.modified).unwrap_or_default())
            })
            .map(|d| json!({"name": d.name, "jid": d.jid.as_str(), "path": d.path.to_string_lossy()}))
            .collect()
    } else {
        Vec::new()
    };
    let mut r = Response::new(false);
    r.set("async_dir", dir.path().to_string_lossy().as_ref())
        .set("count", jobs.len())
        .set("jobs", jobs)
        .set("dangling", dangling);
    Ok(r)
}

/// Removes (in check mode: lists) what the prune plan names.
pub fn pruned(dir: &AsyncDir, filter: &Filter, p: &Params) -> Result<Response, Failure> {
    let (plan, removal) = prune(dir, filter, p.check_mode)?;
    let now = SystemTime::now();
    let shown: Vec<String> = removal
        .removed
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    let failed: Vec<String> = removal
        .failed_paths()
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    let mut r = Response::new(!shown.is_empty());
    if p.diff {
        r.diff(json!({ "paths": shown }), json!({ "paths": [] }));
    }
    let verb = if p.check_mode {
        "would remove"
    } else {
        "removed"
    };
    let done = if shown.is_empty() {
        "nothing to prune".to_string()
    } else {
        format!(
            "{verb} {} job(s), {} dangling name(s): {} path(s)",
            plan.jobs.len(),
            plan.dangling.len(),
            shown.len()
        )
    };
    r.set("async_dir", dir.path().to_string_lossy().as_ref())
        .set(
            "jobs",
            plan.jobs.iter().map(|e| job(e, now)).collect::<Vec<_>>(),
        )
        .set("dangling", plan.dangling.clone())
        .set("removed", shown.clone())
        .set("failed_paths", failed);
    if removal.failed.is_empty() {
        return Ok(r.with("msg", done));
    }
    let why: Vec<String> = removal.failed.iter().map(ToString::to_string).collect();
    let msg = format!(
        "{} path(s) could not be removed ({}); {}. Fix their ownership or type, or remove them by hand, and run again.",
        why.len(),
        why.join("; "),
        if shown.is_empty() { "nothing was removed".to_string() } else { done }
    );
    Err(Failure::new(msg).with_all(r))
}
