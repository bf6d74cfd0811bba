// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Module results: a JSON object with Ansible's well-known keys.

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Display;
use std::io::Write;

/// A successful result. `changed` is always present so Ansible never has to guess.
///
/// The second field holds the keys set with [`Response::set_encoded`]: their place in the map is
/// kept by a `null`, and their JSON text is written there when the result is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Response(pub Map<String, Value>, Encoded);

/// Keys whose value is JSON text already, in the order they were set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoded(Vec<(String, Vec<u8>)>);

impl Response {
    /// An empty result with `changed` set.
    pub fn new(changed: bool) -> Self {
        let mut m = Map::new();
        m.insert("changed".into(), Value::Bool(changed));
        Response(m, Encoded::default())
    }
    /// Sets a key, replacing any value it had.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.insert(key.to_string(), value.into());
        self.1 .0.retain(|(k, _)| k != key);
        self
    }
    /// Sets a key to a value serialized straight to JSON text, never built as a [`Value`]: a
    /// list of 10,000 dicts costs a dozen allocations per dict as a `Value`, and none this way.
    /// [`Response::get`] sees `null` for such a key.
    pub fn set_encoded<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        let mut text = Vec::new();
        match serde_json::to_writer(&mut text, value) {
            Ok(()) => {
                self.0.insert(key.to_string(), Value::Null);
                self.1 .0.retain(|(k, _)| k != key);
                self.1 .0.push((key.to_string(), text));
            }
            // Only a Serialize impl that fails (a map with non-string keys) gets here: a bug,
            // reported in the result rather than by a missing key.
            Err(e) => {
                self.set(key, Value::Null);
                self.warn(format!("{key} could not be encoded: {e}"));
            }
        }
        self
    }
    /// A result of exactly these keys.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Response(map, Encoded::default())
    }
    /// The result as one map, the encoded keys parsed back: for tests and for merging into a
    /// failure, never on the way out.
    pub fn into_map(self) -> Map<String, Value> {
        let Response(mut m, Encoded(encoded)) = self;
        for (k, text) in encoded {
            let v = serde_json::from_slice(&text).unwrap_or(Value::Null);
            m.insert(k, v);
        }
        m
    }
    /// Writes the result as one JSON object, the encoded keys in their places.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.1 .0.iter().map(|(_, t)| t.len()).sum::<usize>() + 4096);
        out.push(b'{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // A string key and a `Value` cannot fail to encode into a Vec.
            let _ = serde_json::to_writer(&mut *out, k);
            out.push(b':');
            match self.1 .0.iter().find(|(e, _)| e == k) {
                Some((_, text)) => {
                    let _ = out.write_all(text);
                }
                None => {
                    let _ = serde_json::to_writer(&mut *out, v);
                }
            }
        }
        out.push(b'}');
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
        for (k, v) in response.into_map() {
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
