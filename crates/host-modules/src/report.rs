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
