// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Module results: a JSON object with Ansible's well-known keys.

use serde_json::{Map, Value};
use std::fmt::Display;

/// A successful result. `changed` is always present so Ansible never has to guess.
#[derive(Debug, Clone, PartialEq)]
pub struct Response(pub Map<String, Value>);

impl Response {
    pub fn new(changed: bool) -> Self {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(changed));
        Response(m)
    }
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_string(), value.into());
        self
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.set(key, value);
        self
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
    pub fn changed(&self) -> bool {
        self.0
            .get("changed")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
    pub fn warn(&mut self, warning: impl Into<String>) -> &mut Self {
        let list = self
            .0
            .entry("warnings")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(Value::String(warning.into()));
        }
        self
    }
    /// Ansible's diff format: `{"before": ..., "after": ...}`.
    pub fn diff(&mut self, before: impl Into<Value>, after: impl Into<Value>) -> &mut Self {
        let mut d = Map::new();
        d.insert("before".into(), before.into());
        d.insert("after".into(), after.into());
        self.0.insert("diff".into(), Value::Object(d));
        self
    }
}

/// A failed result: `msg` plus any extra keys that help the user (paths, job ids).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub msg: String,
    pub extra: Map<String, Value>,
}

impl Failure {
    pub fn new(msg: impl Display) -> Self {
        Failure {
            msg: msg.to_string(),
            extra: Map::new(),
        }
    }
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }
    /// Keeps the keys of a partial result (for example a job's status) next to the message.
    pub fn with_all(mut self, response: Response) -> Self {
        for (k, v) in response.0 {
            self.extra.entry(k).or_insert(v);
        }
        self
    }
    pub fn into_map(self) -> Map<String, Value> {
        let mut m = self.extra;
        m.insert("failed".into(), Value::Bool(true));
        m.insert("msg".into(), Value::String(self.msg));
        m.entry("changed").or_insert(Value::Bool(false));
        m
    }
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::new(e)
    }
}
