// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where a record lives: host / playbook / job name. Each part becomes a path component (or an
//! object-name segment), so each is checked to stay one.

use crate::error::RecordStoreError;

/// The three names a record is filed under, each checked to be one path component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordKey {
    /// The inventory host the job runs on.
    pub host: String,
    /// The playbook name.
    pub playbook: String,
    /// The job's name.
    pub job: String,
}

/// Each part must stay one path component: safe_fs's rules, shared with the async dir's names.
pub fn check(what: &'static str, value: &str) -> Result<(), RecordStoreError> {
    safe_fs::check_component(value).map_err(|why| RecordStoreError::BadName {
        what,
        value: value.to_string(),
        why,
    })
}

impl RecordKey {
    /// Checks each part; the error names the option it came from.
    pub fn new(host: &str, playbook: &str, job: &str) -> Result<RecordKey, RecordStoreError> {
        check("host", host)?;
        check("playbook_name", playbook)?;
        check("job_name", job)?;
        Ok(RecordKey {
            host: host.to_string(),
            playbook: playbook.to_string(),
            job: job.to_string(),
        })
    }
    /// `<host>/<playbook>/<job>.json`: the relative path and the object name alike.
    pub fn relative(&self) -> String {
        format!("{}/{}/{}.json", self.host, self.playbook, self.job)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_state_dir() {
        assert!(RecordKey::new("web01.example.com", "Deploy app v2", "deploy_v2.1.0").is_ok());
        assert!(RecordKey::new("::1", "pb", "ünïcødé job").is_ok());
        for (h, p, j) in [
            ("", "p", "j"),
            ("h", "../p", "j"),
            ("h", "p", ".."),
            ("h", "p", "a/b"),
            ("h", ".", "j"),
            ("h", "p", "nul\0"),
            ("h", "p", "line\nbreak"),
        ] {
            assert!(RecordKey::new(h, p, j).is_err(), "{h:?} {p:?} {j:?}");
        }
        let long = "x".repeat(201);
        assert!(RecordKey::new("h", "p", &long).is_err());
        let err = RecordKey::new("h", "p", "../../etc/passwd")
            .unwrap_err()
            .to_string();
        assert!(err.contains("job_name") && err.contains("'/'"), "{err}");
    }
}
