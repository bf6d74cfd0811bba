// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The job file's variants, as written by every ansible-core since 2.18.

use serde_json::error::Category;
use serde_json::{Map, Value};
use std::io::Read;

/// What a job file says, before anyone looks at processes.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFile {
    /// `{"started": 1|true, "finished": 0|false, ...}`: the wrapper's start marker.
    Running(Map<String, Value>),
    /// The module's own result (no `started` key), the timeout file, or a finished marker.
    Finished(Map<String, Value>),
    /// Marked by async_kill.
    Killed(Map<String, Value>),
    /// Empty, cut short or not a JSON object. The wrapper renames complete files into place, so
    /// this is damage, not a write in progress.
    Unreadable(String),
}

/// 2.18 writes 1/0, 2.19+ true/false; accept both and the string forms.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => matches!(s.to_ascii_lowercase().as_str(), "1" | "true" | "yes"),
        _ => false,
    }
}

/// Reads all, then parses as a slice, like the module arguments: one instantiation of serde_json's
/// parser in binaries that are copied to every target (a streaming reader costs kilobytes and is
/// nine times slower on a 50 MB output).
pub fn from_reader(reader: &mut dyn Read) -> serde_json::Result<Value> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(serde_json::Error::io)?;
    serde_json::from_slice(&bytes)
}

impl JobFile {
    /// Classifies a job file's text. Never panics, whatever the input: a fuzz entry point.
    pub fn parse(text: &str) -> JobFile {
        if text.trim().is_empty() {
            return JobFile::Unreadable("the job file is empty".into());
        }
        Self::classify(from_reader(&mut text.as_bytes()))
    }

    /// Reads a job file. Only a failing read is an error; bad contents are `Unreadable`.
    pub fn read(mut reader: impl Read) -> std::io::Result<JobFile> {
        let parsed = from_reader(&mut reader);
        match parsed {
            Err(e) if e.classify() == Category::Io => Err(e.into()),
            Err(e) if e.is_eof() && e.line() <= 1 && e.column() == 0 => {
                Ok(JobFile::Unreadable("the job file is empty".into()))
            }
            other => Ok(Self::classify(other)),
        }
    }

    fn classify(parsed: serde_json::Result<Value>) -> JobFile {
        let data = match parsed {
            Ok(Value::Object(m)) => m,
            Ok(_) => return JobFile::Unreadable("the job file is JSON but not an object".into()),
            Err(e) => return JobFile::Unreadable(format!("the job file is not valid JSON ({e})")),
        };
        if truthy(data.get("killed")) {
            JobFile::Killed(data)
        } else if !data.contains_key("started") || truthy(data.get("finished")) {
            JobFile::Finished(data)
        } else {
            JobFile::Running(data)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real job files, written by the async wrapper of ansible-core 2.18 and 2.19 (see fixtures/).
    const START_218: &str = include_str!("../fixtures/started_2.18.json");
    const START_219: &str = include_str!("../fixtures/started_2.19.json");
    const DONE: &str = include_str!("../fixtures/finished_2.19.json");
    const TIMEOUT: &str = include_str!("../fixtures/timeout_2.19.json");
    const NOT_JSON: &str = include_str!("../fixtures/non_json_2.19.json");
    const NOT_JSON_218: &str = include_str!("../fixtures/non_json_2.18.json");
    const TIMEOUT_218: &str = include_str!("../fixtures/timeout_2.18.json");
    const DONE_218: &str = include_str!("../fixtures/finished_2.18.json");

    #[test]
    fn start_markers_of_both_generations_are_running() {
        assert!(matches!(JobFile::parse(START_218), JobFile::Running(_)));
        assert!(matches!(JobFile::parse(START_219), JobFile::Running(_)));
    }

    #[test]
    fn module_results_and_wrapper_failures_are_finished() {
        for text in [DONE, TIMEOUT, NOT_JSON, DONE_218, TIMEOUT_218, NOT_JSON_218] {
            assert!(
                matches!(JobFile::parse(text), JobFile::Finished(_)),
                "{text}"
            );
        }
        let finished_marker = r#"{"started": true, "finished": true, "rc": 0}"#;
        assert!(matches!(
            JobFile::parse(finished_marker),
            JobFile::Finished(_)
        ));
    }

    #[test]
    fn killed_marker_wins() {
        let killed = r#"{"started": true, "finished": true, "killed": true, "failed": true}"#;
        assert!(matches!(JobFile::parse(killed), JobFile::Killed(_)));
    }

    #[test]
    fn damaged_files_are_unreadable_not_running() {
        for text in ["", "  \n", r#"{"started": 1, "fini"#, "[1, 2]", "null"] {
            assert!(
                matches!(JobFile::parse(text), JobFile::Unreadable(_)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn reading_a_stream_agrees_with_parsing_text() {
        for text in [
            START_218,
            START_219,
            DONE,
            TIMEOUT,
            NOT_JSON,
            "",
            "  \n",
            "{\"a\": 1} x",
            "[1]",
            "{\"s\"",
        ] {
            let streamed = JobFile::read(text.as_bytes()).unwrap();
            let parsed = JobFile::parse(text);
            match (&streamed, &parsed) {
                (JobFile::Unreadable(_), JobFile::Unreadable(_)) => {}
                _ => assert_eq!(streamed, parsed, "{text:?}"),
            }
        }
        assert!(matches!(
            JobFile::read(&[b'"', 0xff, b'"'][..]).unwrap(),
            JobFile::Unreadable(_)
        ));
    }
}
