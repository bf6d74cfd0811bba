// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_status_id's answers: a job's status by alias or jid, and what a cleanup removed.

use crate::report::{job_status, not_started};
use jobs::cleanup::{plan, remove_all, Removal, Scope};
use jobs::{AsyncDir, Located as Target, State};
use protocol::{Failure, Params, Response};

fn name_keys(r: &mut Response, t: &Target) {
    if let Some((alias, path)) = &t.alias {
        r.set("ansible_job_alias", alias.as_str())
            .set("alias_path", path.to_string_lossy().as_ref());
    }
    if let Some(jid) = &t.jid {
        r.set("ansible_job_id", jid.as_str());
    }
}

/// The status of what was found; a dead or damaged job is a failure that says what to do.
pub fn status(dir: &AsyncDir, mut t: Target) -> Result<Response, Failure> {
    let Some(job) = t.job.take() else {
        let mut r = not_started();
        name_keys(&mut r, &t);
        return match (&t.alias, &t.link, &t.jid) {
            // The builtin's keys for an unknown jid, results_file included.
            (None, _, Some(jid)) => Err(Failure::new("could not find job")
                .with_all(r)
                .with("ansible_job_id", jid.as_str())
                .with("results_file", dir.job_file(jid).to_string_lossy().as_ref())
                .with("started", true)
                .with("finished", true)),
            (Some((alias, _)), None, _) => Ok(r.with("msg", format!("no job is named '{alias}'"))),
            (Some((alias, _)), Some(link), Some(jid)) => Ok(r.with(
                "msg",
                format!(
                    "alias '{alias}' points to job {jid}, whose file {} is gone (cleaned up); the job is not running",
                    link.job_path.display()
                ),
            )),
            _ => Err(Failure::new("no job given")),
        };
    };
    let (jid, path, state) = (job.jid.clone(), job.path.clone(), job.state.clone());
    let mut r = job_status(job);
    name_keys(&mut r, &t);
    match &state {
        State::Dead => Err(Failure::new(format!(
            "job {jid} is not finished and its async wrapper is gone: no process runs async_wrapper.py {prefix}. \
             The wrapper was killed or the host rebooted, so the job will never finish and its output is lost. \
             Remove it with mode=full_cleanup, then start the job again.",
            prefix = jid.prefix()
        ))
        .with_all(r)),
        State::Corrupt(why) => Err(Failure::new(format!(
            "job file {} is damaged: {why}. The job's result cannot be read; inspect the file, then remove it with mode=full_cleanup",
            path.display()
        ))
        .with_all(r)
        .with("finished", false)),
        _ => Ok(r),
    }
}

/// Removes what the cleanup plan names (nothing while the job runs; nothing in check mode).
///
/// `jid` with `mode=cleanup` is the builtin's cleanup and answers with its keys: an unknown jid
/// fails "could not find job" (async_task relies on that message), and a removal says
/// `changed: false`, `started`/`finished: false`, empty `stdout`/`stderr`, and `erased`. The
/// aliases and `full_cleanup` are ours: there `changed` says whether anything was removed. Either
/// way `removed` lists what went, which is what async_wait reports as its cleanup's `changed`.
pub fn cleanup(dir: &AsyncDir, t: &Target, scope: Scope, p: &Params) -> Result<Response, Failure> {
    let builtin = scope == Scope::Cleanup && t.alias.is_none();
    let mut r = Response::new(false);
    name_keys(&mut r, t);
    r.set("stdout", "").set("stderr", "");
    match (&t.job, &t.jid) {
        (Some(job), _) => {
            r.set("started", true)
                .set("finished", job.is_finished())
                .set("killed", job.state == State::Killed)
                .set("pid_missing", job.state == State::Dead);
            if job.is_live() {
                return Ok(r.with(
                    "msg",
                    format!("job {} is still running; nothing was deleted. Wait for it to finish, or kill it first.", job.jid),
                ));
            }
        }
        (None, Some(jid)) if builtin => {
            return Err(Failure::new("could not find job")
                .with_all(r)
                .with("erased", dir.job_file(jid).to_string_lossy().as_ref())
                .with("started", true)
                .with("finished", true));
        }
        (None, _) => {}
    }
    let planned = plan(dir, t, scope)?;
    let removal = if p.check_mode {
        Removal {
            removed: planned.clone(),
            failed: Vec::new(),
        }
    } else {
        remove_all(&planned)
    };
    let removed = &removal.removed;
    let shown: Vec<String> = removed
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    if p.diff {
        r.diff(
            serde_json::json!({ "paths": shown }),
            serde_json::json!({ "paths": [] }),
        );
    }
    if builtin {
        // The builtin's answer is not a status: it says nothing started or finished.
        r.0.remove("killed");
        r.0.remove("pid_missing");
        r.set("started", false).set("finished", false);
        if let Some(jid) = &t.jid {
            r.set("erased", dir.job_file(jid).to_string_lossy().as_ref());
        }
    } else {
        r.set("changed", !removed.is_empty());
        if let Some(first) = shown.first() {
            r.set("erased", first.as_str());
        }
    }
    r.set("removed", shown.clone());
    r.set(
        "msg",
        match (shown.is_empty(), p.check_mode) {
            (true, _) => "nothing to clean up".to_string(),
            (false, true) => format!("would remove {}", shown.join(", ")),
            (false, false) => format!("removed {}", shown.join(", ")),
        },
    );
    if removal.failed.is_empty() {
        return Ok(r);
    }
    let failed: Vec<String> = removal
        .failed_paths()
        .iter()
        .map(|x| x.to_string_lossy().into_owned())
        .collect();
    let why: Vec<String> = removal.failed.iter().map(ToString::to_string).collect();
    let msg = format!(
        "{} path(s) could not be removed ({}); {}. Fix their ownership or type, or remove them by hand, and run the cleanup again.",
        why.len(),
        why.join("; "),
        if shown.is_empty() { "nothing was removed".to_string() } else { format!("removed {}", shown.join(", ")) }
    );
    Err(Failure::new(msg).with_all(r.with("failed_paths", failed)))
}

/// Adds `job_failed` to a status answer: true when the job failed, was killed, lost its wrapper
/// or has a damaged file. With `fail_on_job_failure` false such a job is data, not a failed task
/// (`failed: false`, the job's `msg`, `rc`, `killed`, `pid_missing` kept), so a find step can be
/// followed by a cleanup instead of stopping the play. A lookup that found no job (an unknown
/// jid, a broken alias) still fails: there is nothing to act on.
pub fn job_failure(
    answer: Result<Response, Failure>,
    found_job: bool,
    fail_on_job_failure: bool,
) -> Result<Response, Failure> {
    match answer {
        Ok(mut r) => {
            let bad = ["failed", "killed", "pid_missing"]
                .iter()
                .any(|k| r.get(k).and_then(serde_json::Value::as_bool) == Some(true));
            r.set("job_failed", bad);
            if bad && !fail_on_job_failure {
                r.set("failed", false);
            }
            Ok(r)
        }
        Err(f) if found_job && !fail_on_job_failure => {
            let mut m = f.into_map();
            m.insert("failed".into(), false.into());
            m.insert("job_failed".into(), true.into());
            Ok(Response::from_map(m))
        }
        Err(f) if found_job => Err(f.with("job_failed", true)),
        Err(f) => Err(f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finished_failed() -> Response {
        Response::new(false)
            .with("finished", true)
            .with("failed", true)
            .with("rc", 2)
            .with("msg", "non-zero return code")
    }

    #[test]
    fn a_failed_job_is_data_when_asked() {
        let r = job_failure(Ok(finished_failed()), true, false).unwrap();
        assert_eq!(r.get("failed"), Some(&json!(false)));
        assert_eq!(r.get("job_failed"), Some(&json!(true)));
        assert_eq!(r.get("rc"), Some(&json!(2)));
        // Today's behaviour by default: the task fails, and says the job failed.
        let r = job_failure(Ok(finished_failed()), true, true).unwrap();
        assert_eq!(r.get("failed"), Some(&json!(true)));
        assert_eq!(r.get("job_failed"), Some(&json!(true)));
    }

    #[test]
    fn a_dead_wrapper_is_data_and_an_unknown_jid_still_fails() {
        let dead = || Err(Failure::new("wrapper gone").with("pid_missing", true));
        let r = job_failure(dead(), true, false).unwrap();
        assert_eq!(r.get("failed"), Some(&json!(false)));
        assert_eq!(r.get("job_failed"), Some(&json!(true)));
        assert_eq!(r.get("msg"), Some(&json!("wrapper gone")));
        let f = job_failure(dead(), true, true).unwrap_err();
        assert_eq!(f.extra.get("job_failed"), Some(&json!(true)));
        let unknown = job_failure(Err(Failure::new("could not find job")), false, false);
        assert!(unknown.is_err());
    }

    #[test]
    fn a_running_or_good_job_is_not_failed() {
        let ok = Response::new(false)
            .with("finished", true)
            .with("killed", false);
        let r = job_failure(Ok(ok), true, false).unwrap();
        assert_eq!(r.get("job_failed"), Some(&json!(false)));
        assert_eq!(r.get("failed"), None);
    }
}
