// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Scripts answer with plain Redis values: a job is its hash as a flat field/value array, plus
//! its output once it ended. Anything that does not parse is `Corrupt`, naming the job.

use std::collections::HashMap;

use redis::Value;

use crate::model::{Job, JobId, JobSpec, Reason, Stats, Status};
use crate::store::{JobStoreError, Result};

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

fn corrupt(id: &str, what: &str) -> JobStoreError {
    JobStoreError::Corrupt(format!("job {id}: {what}"))
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
    Ok(match job_or_damaged(view)? {
        None => None,
        Some(Ok(job)) => Some(job),
        Some(Err(damaged)) => Some(damaged.shown),
    })
}

/// As [`job`], telling a job whose fields do not parse apart (see [`parse_hash`]).
pub fn job_or_damaged(view: &Value) -> Result<Option<std::result::Result<Job, Damaged>>> {
    let parts = items(view);
    let Some(hash) = parts.first() else {
        return Ok(None);
    };
    let stdout = parts
        .get(1)
        .and_then(bytes)
        .map(|b| String::from_utf8_lossy(b).into_owned());
    parse_hash(hash, stdout)
}

pub fn from_hash(hash: &Value, stdout: Option<String>) -> Result<Option<Job>> {
    Ok(match parse_hash(hash, stdout)? {
        None => None,
        Some(Ok(job)) => Some(job),
        Some(Err(damaged)) => Some(damaged.shown),
    })
}

/// A job hash whose fields do not parse: why, and its corrupt stand-in to show.
pub struct Damaged {
    pub why: String,
    pub shown: Job,
}

/// `None` for an empty hash; a hash whose id parses but not the rest is [`Damaged`]; one
/// without a usable id is an error, as nothing can name it.
pub fn parse_hash(
    hash: &Value,
    stdout: Option<String>,
) -> Result<Option<std::result::Result<Job, Damaged>>> {
    let f = fields(hash);
    let Some(id_text) = f.get("id") else {
        return Ok(None);
    };
    let id: JobId = id_text.parse().map_err(|_| corrupt(id_text, "id"))?;
    match job_of(id, &f, stdout) {
        Ok(job) => Ok(Some(Ok(job))),
        Err(what) => {
            let why = format!("the stored job does not parse: its {what}");
            let num = |k: &str| f.get(k).and_then(|s| s.parse::<i64>().ok());
            let mut shown = Job::corrupt(
                id,
                num("seq").unwrap_or(0),
                num("created_at").unwrap_or(0),
                &why,
            );
            shown.finished_at = num("finished_at");
            Ok(Some(Err(Damaged { why, shown })))
        }
    }
}

fn job_of(
    id: JobId,
    f: &HashMap<String, String>,
    stdout: Option<String>,
) -> std::result::Result<Job, String> {
    let int = |name: &str| -> std::result::Result<Option<i64>, String> {
        match f.get(name).filter(|s| !s.is_empty()) {
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} {s:?} is not a number")),
            None => Ok(None),
        }
    };
    let spec: JobSpec = serde_json::from_str(f.get("spec").map_or("", String::as_str))
        .map_err(|e| format!("spec: {e}"))?;
    let status = f
        .get("status")
        .and_then(|s| Status::parse(s))
        .ok_or_else(|| format!("status {:?} is unknown", f.get("status")))?;
    let reason = match f.get("reason").filter(|s| !s.is_empty()) {
        Some(r) => Some(Reason::parse(r).ok_or_else(|| format!("reason {r:?} is unknown"))?),
        None => None,
    };
    let stats: Option<Stats> = match f.get("stats").filter(|s| !s.is_empty()) {
        Some(s) => Some(serde_json::from_str(s).map_err(|e| format!("stats: {e}"))?),
        None => None,
    };
    let rc = match int("rc")? {
        Some(n) => Some(i32::try_from(n).map_err(|_| format!("rc {n} is out of range"))?),
        None => None,
    };
    Ok(Job {
        id,
        seq: int("seq")?.ok_or("seq is missing")?,
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
        error: f.get("error").filter(|s| !s.is_empty()).cloned(),
        dropped_events: int("dropped")?
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0),
    })
}
