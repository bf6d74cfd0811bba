// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Module results: a JSON object with Ansible's well-known keys.

use serde_json::{Map, Value};
use std::fmt::Display;

/// A successful result. `changed` is always present so Ansible never has to guess.
#[derive(Debug, Clone, PartialEq)]
pub struct Response(pub Map<String, Value>);

impl Response {
    /// An empty result with `changed` set.
    pub fn new(changed: bool) -> Self {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(changed));
        Response(m)
    }
    /// Sets a key, replacing any value it had.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_string(), value.into());
        self
    }
    /// [`Response::set`], by value, for building a result in one expression.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.set(key, value);
        self
    }
    /// A key's value, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
    /// The `changed` flag (false if someone removed or mistyped it).
    pub fn changed(&self) -> bool {
        self.0
            .get("changed")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
    /// Appends to `warnings`, which Ansible shows after the task.
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
    /// What went wrong, and what the user can do about it.
    pub msg: String,
    /// Keys returned next to `msg`.
    pub extra: Map<String, Value>,
}

impl Failure {
    /// A failure with just a message.
    pub fn new(msg: impl Display) -> Self {
        Failure {
            msg: msg.to_string(),
            extra: Map::new(),
        }
    }
    /// Adds a key next to the message.
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
    /// The result object: the extra keys, `failed: true`, `msg`, and `changed: false` unless an
    /// extra key already says otherwise.
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
