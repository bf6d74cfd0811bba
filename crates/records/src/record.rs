// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The record document. Its text is the old roles' format: keys in this order, 2-space indent,
//! trailing newline, but properly escaped, so names with quotes or newlines stay valid JSON.

use crate::error::RecordStoreError;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

/// "Job `job_name` on `host` is ansible job `ansible_job_id`", with the user's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The job's name.
    pub job_name: String,
    /// The host it runs on.
    pub host: String,
    /// `None` for a claim whose job has not been started (or recorded) yet.
    pub ansible_job_id: Option<String>,
    /// When the record was saved, UTC `YYYY-MM-DDTHH:MM:SSZ`.
    pub save_time: String,
    /// Free-form data the task attached to the job (`metadata`).
    pub metadata: Map<String, Value>,
}

/// The `save_time` format (chrono), UTC to the second.
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The current time as a `save_time`.
pub fn now_utc() -> String {
    Utc::now().format(TIME_FORMAT).to_string()
}

impl Record {
    /// The record as a JSON object, keys in the old roles' order.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("job_name".into(), Value::String(self.job_name.clone()));
        m.insert("host".into(), Value::String(self.host.clone()));
        m.insert(
            "ansible_job_id".into(),
            self.ansible_job_id
                .clone()
                .map_or(Value::Null, Value::String),
        );
        m.insert("save_time".into(), Value::String(self.save_time.clone()));
        m.insert("metadata".into(), Value::Object(self.metadata.clone()));
        Value::Object(m)
    }

    /// The record as stored: pretty JSON, 2-space indent, trailing newline.
    pub fn to_text(&self) -> String {
        // serde_json's pretty printer indents by two spaces, like the old template.
        let mut text = serde_json::to_string_pretty(&self.to_value()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Parses a record written by us or by the old roles. `location` names it in errors.
    pub fn parse(text: &str, location: &str) -> Result<Record, RecordStoreError> {
        let corrupt = |why: String| RecordStoreError::Corrupt {
            location: location.to_string(),
            why,
        };
        let value: Value =
            serde_json::from_str(text).map_err(|e| corrupt(format!("not valid JSON ({e})")))?;
        let Value::Object(m) = value else {
            return Err(corrupt("not a JSON object".into()));
        };
        let text_field = |k: &str| -> Result<Option<String>, RecordStoreError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(corrupt(format!("'{k}' is {other}, not a string"))),
            }
        };
        let metadata = match m.get("metadata") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(o)) => o.clone(),
            Some(other) => return Err(corrupt(format!("'metadata' is {other}, not a dict"))),
        };
        Ok(Record {
            job_name: text_field("job_name")?.ok_or_else(|| corrupt("no 'job_name'".into()))?,
            host: text_field("host")?.ok_or_else(|| corrupt("no 'host'".into()))?,
            ansible_job_id: text_field("ansible_job_id")?.filter(|s| !s.is_empty()),
            save_time: text_field("save_time")?.unwrap_or_default(),
            metadata,
        })
    }

    /// Equal in everything but the time of saving: saving it again changes nothing.
    pub fn same_content(&self, other: &Record) -> bool {
        self.job_name == other.job_name
            && self.host == other.host
            && self.ansible_job_id == other.ansible_job_id
            && self.metadata == other.metadata
    }

    /// A claim (no job id) older than `after_secs`: its claimer died before it recorded a job.
    pub fn is_stale_claim(&self, after_secs: Option<u64>) -> bool {
        let Some(after) = after_secs else {
            return false;
        };
        if self.ansible_job_id.is_some() {
            return false;
        }
        match NaiveDateTime::parse_from_str(&self.save_time, TIME_FORMAT) {
            Ok(t) => {
                let saved: DateTime<Utc> = t.and_utc();
                let age = Utc::now().signed_duration_since(saved).num_seconds();
                age >= 0 && age as u64 >= after
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Record {
        Record {
            job_name: "deploy \"v2\"\nnext".into(),
            host: "web01".into(),
            ansible_job_id: Some("j889214147243.9938".into()),
            save_time: "2025-11-25T10:30:45Z".into(),
            metadata: json!({"ticket": "DEPLOY-1", "ünï": "cødé ✓", "nested": {"a": [1, 2]}})
                .as_object()
                .cloned()
                .unwrap(),
        }
    }

    #[test]
    fn text_has_the_old_layout_and_round_trips() {
        let r = sample();
        let text = r.to_text();
        assert!(text.ends_with("}\n"));
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \"") && !l.starts_with("    "))
            .map(|l| l.trim_start().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "job_name",
                "host",
                "ansible_job_id",
                "save_time",
                "metadata"
            ]
        );
        assert!(text.contains("\n  \"host\": \"web01\",\n"));
        assert_eq!(Record::parse(&text, "x").unwrap(), r);
    }

    #[test]
    fn quotes_newlines_and_unicode_are_escaped_properly() {
        let text = sample().to_text();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["job_name"], json!("deploy \"v2\"\nnext"));
        assert_eq!(v["metadata"]["ünï"], json!("cødé ✓"));
    }

    #[test]
    fn reads_files_the_old_role_wrote() {
        // The old role's text template, rendered for a simple job.
        let old = "{\n  \"job_name\": \"deploy_app\",\n  \"host\": \"web01.example.com\",\n  \"ansible_job_id\": \"j889214147243.9938\",\n  \"save_time\": \"2025-11-25T10:30:45Z\",\n  \"metadata\": {\"version\": \"2.1.0\", \"operator\": \"admin\"}\n}\n";
        let r = Record::parse(old, "old.json").unwrap();
        assert_eq!(r.ansible_job_id.as_deref(), Some("j889214147243.9938"));
        assert_eq!(r.metadata["operator"], json!("admin"));
    }

    #[test]
    fn damaged_records_are_errors_that_name_the_file() {
        // What the old template produced for a name with a quote in it.
        let broken = "{\n  \"job_name\": \"say \"hi\"\",\n  \"host\": \"h\"\n}\n";
        for text in [
            broken,
            "",
            "[]",
            "{\"job_name\": \"j\"}",
            "{\"job_name\": \"j\", \"host\": \"h\", \"metadata\": 5}",
        ] {
            let err = Record::parse(text, "/s/h/p/j.json")
                .unwrap_err()
                .to_string();
            assert!(err.contains("/s/h/p/j.json"), "{err}");
        }
    }

    #[test]
    fn save_time_is_not_content() {
        let a = sample();
        let mut b = sample();
        b.save_time = now_utc();
        assert!(a.same_content(&b));
        b.metadata.insert("x".into(), json!(1));
        assert!(!a.same_content(&b));
    }

    #[test]
    fn stale_claims() {
        let mut claim = sample();
        claim.ansible_job_id = None;
        claim.save_time = "2000-01-01T00:00:00Z".into();
        assert!(claim.is_stale_claim(Some(600)));
        assert!(!claim.is_stale_claim(None));
        claim.save_time = now_utc();
        assert!(!claim.is_stale_claim(Some(600)));
        assert!(
            !sample().is_stale_claim(Some(0)),
            "a record with a job is never a stale claim"
        );
        assert!(now_utc().ends_with('Z') && now_utc().len() == 20);
    }
}
