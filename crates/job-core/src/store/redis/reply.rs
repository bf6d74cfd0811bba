// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Scripts answer with plain Redis values: a job is its hash as a flat field/value array, plus
//! its output once it ended. Anything that does not parse is `Corrupt`, naming the job.

use std::collections::HashMap;

use redis::Value;

use crate::model::{Job, JobId, JobSpec, Reason, Stats, Status};
use crate::store::{Result, StoreError};

pub fn bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Int(n) => Some(n.to_string()),
        _ => bytes(v).map(|b| String::from_utf8_lossy(b).into_owned()),
    }
}

pub fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

pub fn ids(v: &Value) -> Vec<JobId> {
    items(v)
        .iter()
        .filter_map(text)
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn corrupt(id: &str, what: &str) -> StoreError {
    StoreError::Corrupt(format!("job {id}: {what}"))
}

/// `HGETALL` as a flat array (a map under RESP3).
fn fields(v: &Value) -> HashMap<String, String> {
    match v {
        Value::Map(pairs) => pairs
            .iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v)?)))
            .collect(),
        _ => items(v)
            .chunks(2)
            .filter_map(|kv| match kv {
                [k, v] => Some((text(k)?, text(v)?)),
                _ => None,
            })
            .collect(),
    }
}

/// A job from a script's `view`: `{hash}` or `{hash, output}`. `None` when the hash is empty
/// (the job expired between two calls).
pub fn job(view: &Value) -> Result<Option<Job>> {
    let parts = items(view);
    let Some(hash) = parts.first() else {
        return Ok(None);
    };
    let stdout = parts
        .get(1)
        .and_then(bytes)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    from_hash(hash, stdout)
}

pub fn from_hash(hash: &Value, stdout: Option<String>) -> Result<Option<Job>> {
    let f = fields(hash);
    let Some(id_text) = f.get("id") else {
        return Ok(None);
    };
    let id: JobId = id_text.parse().map_err(|_| corrupt(id_text, "id"))?;
    let int = |name: &str| -> Result<Option<i64>> {
        match f.get(name).filter(|s| !s.is_empty()) {
            Some(s) => s.parse().map(Some).map_err(|_| corrupt(id_text, name)),
            None => Ok(None),
        }
    };
    let spec: JobSpec = serde_json::from_str(f.get("spec").map_or("", String::as_str))
        .map_err(|e| corrupt(id_text, &format!("spec: {e}")))?;
    let status = f
        .get("status")
        .and_then(|s| Status::parse(s))
        .ok_or_else(|| corrupt(id_text, "status"))?;
    let reason = match f.get("reason").filter(|s| !s.is_empty()) {
        Some(r) => Some(Reason::parse(r).ok_or_else(|| corrupt(id_text, "reason"))?),
        None => None,
    };
    let stats: Option<Stats> = match f.get("stats").filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(serde_json::from_str(s).map_err(|e| corrupt(id_text, &format!("stats: {e}")))?)
        }
        None => None,
    };
    let rc = match int("rc")? {
        Some(n) => Some(i32::try_from(n).map_err(|_| corrupt(id_text, "rc"))?),
        None => None,
    };
    Ok(Some(Job {
        id,
        seq: int("seq")?.ok_or_else(|| corrupt(id_text, "seq"))?,
        fingerprint: f.get("fp").cloned().unwrap_or_default(),
        spec,
        status,
        reason,
        created_at: int("created_at")?.unwrap_or(0),
        started_at: int("started_at")?,
        finished_at: int("finished_at")?,
        worker: f.get("worker").cloned(),
        attempt: u32::try_from(int("attempt")?.unwrap_or(0)).unwrap_or(0),
        cancel_requested: f.get("cancel").is_some_and(|c| c == "1"),
        rc,
        stats,
        stdout: if status.is_final() {
            Some(stdout.unwrap_or_default())
        } else {
            None
        },
    }))
}
