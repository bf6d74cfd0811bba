// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What a Redis must promise before it holds jobs: it never evicts a key (an evicted queue or job
//! hash is a job acknowledged with 202 and then gone, an evicted name key is one name run twice),
//! and it keeps its data on disk (a restart of a Redis without persistence loses every job).
//!
//! Read with `CONFIG GET`; an ACL user without it (or a proxy that renamed it) gets `INFO`,
//! which shows `maxmemory`, `maxmemory_policy` and `aof_enabled` but not `save` (RDB snapshots
//! are a setting INFO does not show), so under such ACLs a Redis with AOF off is only warned
//! about.

use std::collections::HashMap;

/// The settings of one Redis that decide whether it can lose data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Bytes; 0 is no limit (then no policy ever evicts).
    pub maxmemory: u64,
    /// `maxmemory-policy`, e.g. `noeviction`, `allkeys-lru`.
    pub policy: String,
    /// The append-only file is on.
    pub appendonly: bool,
    /// The `save` setting (RDB snapshots; `""` is none); `None` when it could not be read
    /// (from `INFO`).
    pub save: Option<String>,
}

/// What a check of [`Settings`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// Why this Redis must not be used (each names the setting and the fix); empty when it may.
    pub refusals: Vec<String>,
    /// What the operator should know but which does not stop the service.
    pub warnings: Vec<String>,
}

impl Settings {
    /// From the replies of `CONFIG GET maxmemory`, `maxmemory-policy`, `appendonly` and `save`
    /// (each a flat `[name, value]` list, merged). `None` when one of them is missing.
    pub fn from_config(pairs: &HashMap<String, String>) -> Option<Self> {
        Some(Self {
            maxmemory: pairs.get("maxmemory")?.trim().parse().ok()?,
            policy: pairs.get("maxmemory-policy")?.trim().to_string(),
            appendonly: pairs.get("appendonly")?.trim() == "yes",
            save: Some(pairs.get("save")?.trim().to_string()),
        })
    }

    /// From `CONFIG GET`'s answers, each setting it left out read from `INFO` (`text`, as for
    /// [`Settings::from_info`]); `save` only from `CONFIG GET`. `None` when neither tells one of
    /// maxmemory, the policy and appendonly.
    pub fn from_config_and_info(pairs: &HashMap<String, String>, text: &str) -> Option<Self> {
        let info = info_fields(text);
        let pick = |config: &str, info_name: &str| {
            pairs
                .get(config)
                .map(String::as_str)
                .or_else(|| info.get(info_name).copied())
                .map(str::trim)
        };
        Some(Self {
            maxmemory: pick("maxmemory", "maxmemory")?.parse().ok()?,
            policy: pick("maxmemory-policy", "maxmemory_policy")?.to_string(),
            appendonly: match pairs.get("appendonly") {
                Some(v) => v.trim() == "yes",
                None => info.get("aof_enabled")?.trim() == "1",
            },
            save: pairs.get("save").map(|s| s.trim().to_string()),
        })
    }

    /// From the text of `INFO memory` and `INFO persistence` (`key:value` lines). `save` is not
    /// in INFO: it stays `None`. `None` when a field is missing.
    pub fn from_info(text: &str) -> Option<Self> {
        Self::from_config_and_info(&HashMap::new(), text)
    }

    /// `volatile_ok`: the operator acknowledged a Redis without persistence (`--redis-volatile`).
    pub fn verdict(&self, volatile_ok: bool) -> Verdict {
        let mut v = Verdict::default();
        if self.maxmemory > 0 && self.policy != "noeviction" {
            v.refusals.push(format!(
                "Redis maxmemory-policy is {} with maxmemory {}: when full, Redis would evict \
                 keys (queued jobs, job records, name locks) and acknowledged jobs would vanish; \
                 set it to noeviction (redis.conf `maxmemory-policy noeviction`, or \
                 `CONFIG SET maxmemory-policy noeviction`), or remove the limit (maxmemory 0)",
                self.policy, self.maxmemory
            ));
        }
        match (&self.save, self.appendonly) {
            (_, true) => {}
            (Some(save), false) if save.is_empty() => {
                let what = "Redis keeps nothing on disk (appendonly no, save \"\"): a restart of \
                            Redis loses every job, running and queued";
                if volatile_ok {
                    v.warnings
                        .push(format!("--redis-volatile: {what}; accepted as asked"));
                } else {
                    v.refusals.push(format!(
                        "{what}; turn persistence on (redis.conf `appendonly yes`, or \
                         `CONFIG SET appendonly yes`), or give --redis-volatile to accept it"
                    ));
                }
            }
            (Some(_), false) => {}
            (None, false) => v.warnings.push(
                "Redis has appendonly off, and CONFIG GET is not allowed here, so whether RDB \
                 snapshots (`save`) are on cannot be seen: without either, a restart of Redis \
                 loses every job"
                    .to_string(),
            ),
        }
        v
    }
}

/// `key:value` lines of INFO's answer.
fn info_fields(text: &str) -> HashMap<&str, &str> {
    text.lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once(':'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Settings {
        let map = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        Settings::from_config(&map).unwrap()
    }

    #[test]
    fn config_replies_parse() {
        let s = config(&[
            ("maxmemory", "4194304"),
            ("maxmemory-policy", "allkeys-lru"),
            ("appendonly", "no"),
            ("save", "3600 1 300 100"),
        ]);
        assert_eq!(s.maxmemory, 4_194_304);
        assert_eq!(s.policy, "allkeys-lru");
        assert!(!s.appendonly);
        assert_eq!(s.save.as_deref(), Some("3600 1 300 100"));
        let missing: HashMap<String, String> = [("maxmemory".to_string(), "0".to_string())].into();
        assert_eq!(Settings::from_config(&missing), None);
    }

    #[test]
    fn info_replies_parse_without_save() {
        let text = "# Memory\r\nused_memory:1024\r\nmaxmemory:4194304\r\n\
                    maxmemory_human:4.00M\r\nmaxmemory_policy:allkeys-lru\r\n\
                    # Persistence\r\nloading:0\r\naof_enabled:1\r\nrdb_saves:0\r\n";
        let s = Settings::from_info(text).unwrap();
        assert_eq!(s.maxmemory, 4_194_304);
        assert_eq!(s.policy, "allkeys-lru");
        assert!(s.appendonly);
        assert_eq!(s.save, None);
        assert_eq!(Settings::from_info("# Memory\r\nused_memory:1\r\n"), None);
    }

    #[test]
    fn what_config_get_leaves_out_is_read_from_info() {
        let info = "# Memory\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n\
                    # Persistence\r\naof_enabled:1\r\n";
        // A Redis-compatible server that answers only some parameters.
        let some: HashMap<String, String> = [
            ("maxmemory".to_string(), "4194304".to_string()),
            ("save".to_string(), String::new()),
        ]
        .into();
        assert_eq!(Settings::from_config(&some), None);
        let s = Settings::from_config_and_info(&some, info).unwrap();
        assert_eq!(s.maxmemory, 4_194_304, "CONFIG GET's answer wins");
        assert_eq!(s.policy, "noeviction");
        assert!(s.appendonly);
        assert_eq!(s.save.as_deref(), Some(""));
        // Neither tells the policy: refused.
        let no_policy = "# Persistence\r\naof_enabled:0\r\n";
        assert_eq!(Settings::from_config_and_info(&some, no_policy), None);
        // INFO alone, as under an ACL without CONFIG: `save` cannot be known.
        let s = Settings::from_config_and_info(&HashMap::new(), info).unwrap();
        assert_eq!(s.save, None);
    }

    #[test]
    fn eviction_is_refused_only_with_a_limit() {
        let mut s = config(&[
            ("maxmemory", "4194304"),
            ("maxmemory-policy", "allkeys-lru"),
            ("appendonly", "yes"),
            ("save", ""),
        ]);
        let v = s.verdict(false);
        assert_eq!(v.refusals.len(), 1, "{v:?}");
        assert!(v.refusals[0].contains("maxmemory-policy is allkeys-lru"));
        assert!(v.refusals[0].contains("noeviction"));
        // --redis-volatile does not excuse eviction.
        assert_eq!(s.verdict(true).refusals.len(), 1);
        s.policy = "noeviction".into();
        assert_eq!(s.verdict(false), Verdict::default());
        s.policy = "volatile-lru".into();
        s.maxmemory = 0;
        assert_eq!(s.verdict(false), Verdict::default());
    }

    #[test]
    fn no_persistence_is_refused_unless_acknowledged() {
        let s = config(&[
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("appendonly", "no"),
            ("save", ""),
        ]);
        let v = s.verdict(false);
        assert_eq!(v.refusals.len(), 1, "{v:?}");
        assert!(v.refusals[0].contains("--redis-volatile"));
        let v = s.verdict(true);
        assert!(v.refusals.is_empty() && v.warnings.len() == 1, "{v:?}");
        // RDB snapshots alone are persistence.
        let rdb = Settings {
            save: Some("3600 1".into()),
            ..s.clone()
        };
        assert_eq!(rdb.verdict(false), Verdict::default());
        // From INFO, `save` is unknown: warned about, not refused.
        let info = Settings { save: None, ..s };
        let v = info.verdict(false);
        assert!(v.refusals.is_empty() && v.warnings.len() == 1, "{v:?}");
    }
}
