// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The status keys of `ansible.builtin.async_status`, plus ours.

use jobs::{Job, State};
use protocol::Response;

/// Builds async_status's result for a job: its keys, then the job file's own keys. Takes the job
/// so a big output is moved into the result, never copied. `stdout_lines` and `stderr_lines` are
/// left to the controller, as ansible-core does for every module: sending them would double the
/// bytes on the wire.
pub fn job_status(job: Job) -> Response {
    let finished = job.is_finished();
    let (killed, dead) = (job.state == State::Killed, job.state == State::Dead);
    let mut r = Response::new(false);
    r.set("ansible_job_id", job.jid.as_str())
        .set("results_file", job.path.to_string_lossy().as_ref())
        .set("stdout", "")
        .set("stderr", "");
    for (k, v) in job.data {
        if !matches!(
            k.as_str(),
            "started" | "finished" | "ansible_job_id" | "killed"
        ) && !k.starts_with("_ansible_")
        {
            r.0.insert(k, v);
        }
    }
    if let Some(failed) = r.get("failed").cloned() {
        r.set("failed", jobs::truthy(Some(&failed)));
    }
    r.set("started", true)
        .set("finished", finished)
        .set("killed", killed)
        .set("pid_missing", dead);
    r
}

/// The result for a name that points at nothing: not an error, so `when: not r.started` works.
pub fn not_started() -> Response {
    let mut r = Response::new(false);
    r.set("started", false)
        .set("finished", false)
        .set("killed", false)
        .set("pid_missing", false)
        .set("stdout", "")
        .set("stderr", "");
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobs::{Jid, JobFile};
    use serde_json::{json, Map};
    use std::path::PathBuf;

    fn job(state: State, text: &str) -> Job {
        let data = match JobFile::parse(text) {
            JobFile::Running(d) | JobFile::Finished(d) | JobFile::Killed(d) => d,
            JobFile::Unreadable(_) => Map::new(),
        };
        Job {
            jid: Jid::parse("j1.2").unwrap(),
            path: PathBuf::from("/a/j1.2"),
            state,
            data,
        }
    }

    #[test]
    fn running_markers_of_218_and_219_give_real_booleans() {
        for text in [
            include_str!("../../jobs/fixtures/started_2.18.json"),
            include_str!("../../jobs/fixtures/started_2.19.json"),
        ] {
            let r = job_status(job(State::Running, text));
            assert_eq!(r.get("started"), Some(&json!(true)));
            assert_eq!(r.get("finished"), Some(&json!(false)));
            assert_eq!(r.get("ansible_job_id"), Some(&json!("j1.2")));
            assert_eq!(r.get("stdout_lines"), None);
        }
    }

    #[test]
    fn finished_job_merges_the_module_result() {
        let r = job_status(job(
            State::Finished,
            include_str!("../../jobs/fixtures/finished_2.19.json"),
        ));
        assert_eq!(r.get("finished"), Some(&json!(true)));
        assert_eq!(r.get("rc"), Some(&json!(0)));
        // The controller builds the lines; the target sends each output once.
        assert_eq!(r.get("stdout"), Some(&json!("hi")));
        assert_eq!(r.get("stdout_lines"), None);
        assert_eq!(r.get("stderr_lines"), None);
        assert_eq!(r.get("results_file"), Some(&json!("/a/j1.2")));
    }

    #[test]
    fn wrapper_failures_normalise_failed_to_a_boolean() {
        for text in [
            include_str!("../../jobs/fixtures/non_json_2.18.json"),
            include_str!("../../jobs/fixtures/timeout_2.18.json"),
        ] {
            let r = job_status(job(State::Finished, text));
            assert_eq!(r.get("failed"), Some(&json!(true)));
            assert_eq!(r.get("finished"), Some(&json!(true)));
        }
    }

    #[test]
    fn killed_and_dead_jobs_are_flagged() {
        let killed = job_status(job(
            State::Killed,
            r#"{"started": 1, "finished": 1, "killed": true}"#,
        ));
        assert_eq!(killed.get("killed"), Some(&json!(true)));
        assert_eq!(killed.get("finished"), Some(&json!(true)));
        let dead = job_status(job(State::Dead, r#"{"started": true, "finished": false}"#));
        assert_eq!(dead.get("pid_missing"), Some(&json!(true)));
        assert_eq!(dead.get("finished"), Some(&json!(false)));
    }
}
