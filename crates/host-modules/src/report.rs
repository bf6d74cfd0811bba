//! The status keys of `ansible.builtin.async_status`, plus ours.

use jobs::status::{Job, State};
use protocol::Response;
use serde_json::{Map, Value};

/// Builds async_status's result for a job: its keys, then the job file's own keys.
pub fn job_status(job: &Job) -> Response {
    let mut r = Response::new(false);
    r.set("ansible_job_id", job.jid.as_str())
        .set("results_file", job.path.to_string_lossy().as_ref())
        .set("stdout", "")
        .set("stderr", "")
        .set("stdout_lines", Vec::<Value>::new())
        .set("stderr_lines", Vec::<Value>::new());
    for (k, v) in &job.data {
        if !matches!(
            k.as_str(),
            "started" | "finished" | "ansible_job_id" | "killed"
        ) && !k.starts_with("_ansible_")
        {
            r.set(k, v.clone());
        }
    }
    split_lines(&mut r.0, "stdout");
    split_lines(&mut r.0, "stderr");
    if let Some(failed) = r.get("failed").cloned() {
        r.set("failed", jobs::jobfile::truthy(Some(&failed)));
    }
    r.set("started", true)
        .set("finished", job.is_finished())
        .set("killed", job.state == State::Killed)
        .set("pid_missing", job.state == State::Dead);
    r
}

/// async_status gives `*_lines` next to stdout/stderr; a job file only has the strings.
fn split_lines(m: &mut Map<String, Value>, key: &str) {
    let lines_key = format!("{key}_lines");
    if m.get(&lines_key)
        .is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    {
        return;
    }
    let lines: Vec<Value> = m
        .get(key)
        .and_then(Value::as_str)
        .map(|s| s.lines().map(|l| Value::String(l.to_string())).collect())
        .unwrap_or_default();
    m.insert(lines_key, Value::Array(lines));
}

/// The result for a name that points at nothing: not an error, so `when: not r.started` works.
pub fn not_started() -> Response {
    let mut r = Response::new(false);
    r.set("started", false)
        .set("finished", false)
        .set("killed", false)
        .set("pid_missing", false)
        .set("stdout", "")
        .set("stderr", "")
        .set("stdout_lines", Vec::<Value>::new())
        .set("stderr_lines", Vec::<Value>::new());
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobs::jobfile::JobFile;
    use jobs::Jid;
    use serde_json::json;
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
            let r = job_status(&job(State::Running, text));
            assert_eq!(r.get("started"), Some(&json!(true)));
            assert_eq!(r.get("finished"), Some(&json!(false)));
            assert_eq!(r.get("ansible_job_id"), Some(&json!("j1.2")));
            assert_eq!(r.get("stdout_lines"), Some(&json!([])));
        }
    }

    #[test]
    fn finished_job_merges_the_module_result() {
        let r = job_status(&job(
            State::Finished,
            include_str!("../../jobs/fixtures/finished_2.19.json"),
        ));
        assert_eq!(r.get("finished"), Some(&json!(true)));
        assert_eq!(r.get("rc"), Some(&json!(0)));
        assert_eq!(r.get("stdout_lines"), Some(&json!(["hi"])));
        assert_eq!(r.get("stderr_lines"), Some(&json!(["err"])));
        assert_eq!(r.get("results_file"), Some(&json!("/a/j1.2")));
    }

    #[test]
    fn wrapper_failures_normalise_failed_to_a_boolean() {
        for text in [
            include_str!("../../jobs/fixtures/non_json_2.18.json"),
            include_str!("../../jobs/fixtures/timeout_2.18.json"),
        ] {
            let r = job_status(&job(State::Finished, text));
            assert_eq!(r.get("failed"), Some(&json!(true)));
            assert_eq!(r.get("finished"), Some(&json!(true)));
        }
    }

    #[test]
    fn killed_and_dead_jobs_are_flagged() {
        let killed = job_status(&job(
            State::Killed,
            r#"{"started": 1, "finished": 1, "killed": true}"#,
        ));
        assert_eq!(killed.get("killed"), Some(&json!(true)));
        assert_eq!(killed.get("finished"), Some(&json!(true)));
        let dead = job_status(&job(State::Dead, r#"{"started": true, "finished": false}"#));
        assert_eq!(dead.get("pid_missing"), Some(&json!(true)));
        assert_eq!(dead.get("finished"), Some(&json!(false)));
    }
}
