// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_info's and async_prune's answers: each job as one dict, the same in both.

use jobs::inventory::{scan_named, Entry};
use jobs::prune::prune;
use jobs::{AsyncDir, Filter};
use protocol::{Failure, Params, Response};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;
use std::time::SystemTime;

/// One job as a dict, written straight to the result's text (no `Value` per job: at 10,000 jobs
/// those maps were a third of async_job_info's time). The keys and their order are the module's
/// documented RETURN.
struct Job<'a> {
    e: &'a Entry,
    now: SystemTime,
}

impl Serialize for Job<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.e;
        let mut m = s.serialize_map(Some(if e.why.is_some() { 12 } else { 11 }))?;
        m.serialize_entry("jid", e.jid.as_str())?;
        m.serialize_entry("names", &e.names)?;
        m.serialize_entry("state", e.state.as_str())?;
        m.serialize_entry("start", &e.start)?;
        m.serialize_entry("end", &e.end)?;
        m.serialize_entry("times_from", e.times_from.as_str())?;
        m.serialize_entry("age", &e.age(self.now).as_secs())?;
        m.serialize_entry("pid", &e.pid)?;
        m.serialize_entry("rc", &e.rc)?;
        m.serialize_entry("command", &e.command)?;
        match e.path.to_str() {
            Some(path) => m.serialize_entry("results_file", path)?,
            None => m.serialize_entry("results_file", &e.path.to_string_lossy())?,
        }
        if let Some(why) = &e.why {
            m.serialize_entry("reason", why)?;
        }
        m.end()
    }
}

/// The jobs `keep` selects, serialized as they are walked.
struct Jobs<'a, F> {
    all: &'a [Entry],
    keep: F,
    now: SystemTime,
}

impl<F: Fn(&Entry) -> bool> Serialize for Jobs<'_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let now = self.now;
        s.collect_seq(
            self.all
                .iter()
                .filter(|e| (self.keep)(e))
                .map(|e| Job { e, now }),
        )
    }
}

/// The jobs and dangling names the filter selects. Reads only; takes no lock.
pub fn info(dir: &AsyncDir, filter: &Filter) -> Result<Response, Failure> {
    // A job the name glob leaves out is never opened.
    let inv = scan_named(dir, |names| filter.names(names))?;
    let now = SystemTime::now();
    let keep = |e: &Entry| filter.job(&e.names, e.state, e.age(now));
    let count = inv.jobs.iter().filter(|e| keep(e)).count();
    let dangling: Vec<serde_json::Value> = if filter.states.is_none() {
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
        .set("count", count)
        .set_encoded(
            "jobs",
            &Jobs {
                all: &inv.jobs,
                keep,
                now,
            },
        )
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
        .set_encoded(
            "jobs",
            &Jobs {
                all: &plan.jobs,
                keep: |_: &Entry| true,
                now,
            },
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
