// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The status keys of `ansible.builtin.async_status`, plus ours.

use jobs::{Job, State};
use protocol::Response;
use serde_json::{Map, Value};

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
    explain_exception(&mut r.0);
    r.set("started", true)
        .set("finished", finished)
        .set("killed", killed)
        .set("pid_missing", dead);
    r
}

/// ansible-core 2.19+ writes a module that raised as `{"failed": true, "exception":
/// {"__ansible_type": "ErrorSummary", "event": {...}}}`, with no `msg`. The builtin's controller
/// decodes that object; a result that merely carries it as JSON is not decoded, so Ansible showed
/// "Unknown error." and the raised message was lost. So the target does what the controller would:
/// `msg` becomes "Module failed: " and the messages down the `follow`ed cause chain, and
/// `exception` becomes the traceback text Ansible prints for an error (dropped when the module
/// sent none, for then Ansible says "(traceback unavailable)" by itself). A `msg` the module set
/// (fail_json with an exception) is kept. 2.15-2.18 write plain `msg`/`stderr`, which pass as they
/// are.
fn explain_exception(result: &mut Map<String, Value>) {
    let Some(Value::Object(summary)) = result.get("exception") else {
        return;
    };
    let Some(Value::Object(event)) = summary.get("event") else {
        return;
    };
    let brief = brief_message(event);
    let traceback = traceback_text(event);
    let has_msg = result
        .get("msg")
        .is_some_and(|m| !matches!(m, Value::Null) && m.as_str() != Some(""));
    if !has_msg {
        let msg = match brief {
            Some(brief) => concat_message("Module failed", &brief),
            None => "Module failed.".to_string(),
        };
        result.insert("msg".into(), Value::String(msg));
    }
    match traceback {
        Some(text) => result.insert("exception".into(), Value::String(text)),
        None => result.remove("exception"),
    };
}

/// An event's message and those of the causes it follows, joined as ansible-core's
/// `format_event_brief_message` does: a cause already at the end of its effect's message is not
/// repeated.
fn brief_message(event: &Map<String, Value>) -> Option<String> {
    let mut parts = Vec::new();
    let mut at = Some(event);
    while let Some(e) = at {
        if let Some(msg) = e.get("msg").and_then(Value::as_str) {
            parts.push(msg);
        }
        at = e
            .get("chain")
            .and_then(Value::as_object)
            .filter(|chain| jobs::truthy(chain.get("follow")))
            .and_then(|chain| chain.get("event"))
            .and_then(Value::as_object);
    }
    let mut parts = parts.into_iter().rev();
    let mut message = parts.next()?.to_string();
    for part in parts {
        message = if part.ends_with(message.as_str()) {
            part.to_string()
        } else {
            concat_message(part, &message)
        };
    }
    Some(message)
}

fn concat_message(left: &str, right: &str) -> String {
    format!("{}: {right}", left.trim_end_matches(['.', ' ']))
}

/// The tracebacks down the whole cause chain, the first cause first and each followed by the
/// reason Python gives ("The above exception was the direct cause ..."), as ansible-core prints
/// them. None when no event carries one (the module ran without tracebacks enabled).
fn traceback_text(event: &Map<String, Value>) -> Option<String> {
    let mut segments = Vec::new();
    let mut any = false;
    let mut at = Some(event);
    while let Some(e) = at {
        match e.get("formatted_traceback").and_then(Value::as_str) {
            Some(tb) if !tb.is_empty() => {
                any = true;
                segments.push(tb.to_string());
            }
            _ => segments.push("(traceback missing)\n".to_string()),
        }
        let chain = e.get("chain").and_then(Value::as_object);
        if let Some(reason) = chain
            .and_then(|c| c.get("traceback_reason"))
            .and_then(Value::as_str)
        {
            segments.push(format!("\n{reason}\n\n"));
        }
        at = chain
            .and_then(|c| c.get("event"))
            .and_then(Value::as_object);
    }
    any.then(|| segments.into_iter().rev().collect())
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
    fn a_module_that_raised_reports_its_message_on_every_release() {
        let simple = [
            include_str!("../../jobs/fixtures/error_2.19.json"),
            include_str!("../../jobs/fixtures/error_2.21.json"),
        ];
        for text in simple {
            let r = job_status(job(State::Finished, text));
            assert_eq!(
                r.get("msg"),
                Some(&json!("Module failed: failing via exception"))
            );
            assert_eq!(r.get("failed"), Some(&json!(true)));
            // No traceback was sent: no JSON object the controller cannot decode either.
            assert_eq!(r.get("exception"), None);
        }
        for text in [
            include_str!("../../jobs/fixtures/error_chain_2.19.json"),
            include_str!("../../jobs/fixtures/error_chain_2.21.json"),
        ] {
            let r = job_status(job(State::Finished, text));
            assert_eq!(
                r.get("msg"),
                Some(&json!(
                    "Module failed: failing via exception: 'inner cause'"
                ))
            );
        }
        // ansible-core 2.15 writes the wrapper's message and the module's traceback as text.
        let r = job_status(job(
            State::Finished,
            include_str!("../../jobs/fixtures/error_2.15.json"),
        ));
        assert!(r
            .get("stderr")
            .and_then(Value::as_str)
            .is_some_and(|s| s.contains("failing via exception")));
        assert!(r
            .get("msg")
            .and_then(Value::as_str)
            .is_some_and(|s| s.contains("No start of json")));
    }

    #[test]
    fn a_traceback_is_kept_as_text_cause_first() {
        let r = job_status(job(
            State::Finished,
            include_str!("../../jobs/fixtures/error_chain_traceback_2.21.json"),
        ));
        let tb = r.get("exception").and_then(Value::as_str).unwrap();
        let cause = tb.find("KeyError: 'inner cause'").unwrap();
        let reason = tb.find("The above exception was the direct cause").unwrap();
        let effect = tb.find("ValueError: failing via exception").unwrap();
        assert!(cause < reason && reason < effect, "{tb}");
    }

    #[test]
    fn a_message_the_module_set_is_kept() {
        let text = r#"{"failed": true, "msg": "mine", "exception": {"__ansible_type": "ErrorSummary",
            "event": {"msg": "boom", "formatted_traceback": "Traceback\nValueError: boom\n", "__ansible_type": "Event"}}}"#;
        let r = job_status(job(State::Finished, text));
        assert_eq!(r.get("msg"), Some(&json!("mine")));
        assert_eq!(
            r.get("exception"),
            Some(&json!("Traceback\nValueError: boom\n"))
        );
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let text = r#"{"failed": true, "exception": {"event": {"msg": "outer: inner",
            "chain": {"follow": true, "event": {"msg": "inner"}}}}}"#;
        let r = job_status(job(State::Finished, text));
        assert_eq!(r.get("msg"), Some(&json!("Module failed: outer: inner")));
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
