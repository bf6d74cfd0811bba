// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_save: save (or claim, or delete) a job record by name.

use controller_modules::backend::{self, record_keys};
use controller_modules::specs;
use protocol::{Failure, Params, Response};
use records::record::now_utc;
use records::{Record, SaveMode, SaveOutcome, Stored};
use serde_json::Value;
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_job_save", &specs::async_job_save(), body)
}

fn diff_text(r: Option<&Record>) -> Value {
    Value::String(r.map(Record::to_text).unwrap_or_default())
}

fn body(p: &Params) -> Result<Response, Failure> {
    let key = backend::key(p)?;
    let absent = p.str("state") == Some("absent");
    let if_absent = p.bool("if_absent");
    let jid = p.str("ansible_job_id").filter(|j| !j.is_empty());
    if p.bool("_validate_only") {
        // async_task checks its `record:` this way before it starts anything; it has no job id yet.
        backend::check(p)?;
        return Ok(Response::new(false).with("msg", "record options are valid"));
    }
    if !absent && jid.is_none() && !if_absent {
        return Err(Failure::new(
            "state is present but all of the following are missing: ansible_job_id \
             (only a claim, if_absent: true, may be saved without a job id)",
        ));
    }
    let (key, store, mut r) = backend::begin_with(p, key)?;
    let stored = store.inspect(&key)?;

    if absent {
        // A damaged record is removed like any other: this is the way out the load error names.
        let (changed, before, msg) = match &stored {
            Stored::Missing => (false, String::new(), "no such record"),
            Stored::Record(e) => (true, e.to_text(), "record deleted"),
            Stored::Damaged { text, .. } => (
                true,
                text.clone().unwrap_or_default(),
                "damaged record deleted",
            ),
        };
        if changed && !p.check_mode {
            store.delete(&key)?;
        }
        if p.diff {
            r.diff(before, "");
        }
        r.set("changed", changed).set("msg", msg);
        return Ok(r);
    }

    let (existing, damaged) = match stored {
        Stored::Missing => (None, None),
        Stored::Record(e) => (Some(e), None),
        // A claim must never take a damaged record for a free name: the job may be running.
        Stored::Damaged { error, .. } if if_absent => return Err(error.into()),
        // A plain save says which job the name is; it replaces whatever is there, so it
        // replaces a damaged record too, and says so.
        Stored::Damaged { error, text } => (None, Some((error, text))),
    };
    let stale_after = p
        .int("stale_claim_after")
        .and_then(|s| u64::try_from(s).ok());
    let record = Record {
        job_name: key.job.clone(),
        host: key.host.clone(),
        ansible_job_id: jid.map(str::to_string),
        save_time: now_utc(),
        metadata: p.dict("metadata").cloned().unwrap_or_default(),
    };

    let live_existing = existing
        .as_ref()
        .filter(|e| !(if_absent && e.is_stale_claim(stale_after)));
    let (kept, changed) = match (if_absent, live_existing) {
        (true, Some(e)) => (e.clone(), false),
        (false, Some(e)) if e.same_content(&record) => (e.clone(), false),
        _ if p.check_mode => (record.clone(), true),
        _ => {
            let mode = if if_absent {
                SaveMode::IfAbsent {
                    stale_claim_after: stale_after,
                }
            } else {
                SaveMode::Overwrite
            };
            match store.save(&key, &record, mode)? {
                SaveOutcome::Written => (record.clone(), true),
                // Another run claimed it between our read and our write.
                SaveOutcome::Exists(winner) => (winner, false),
            }
        }
    };
    if if_absent {
        r.set("claimed", changed);
    }
    if p.diff && changed {
        let before = match &damaged {
            Some((_, text)) => Value::String(text.clone().unwrap_or_default()),
            None => diff_text(existing.as_ref()),
        };
        r.diff(before, diff_text(Some(&kept)));
    }
    if let Some((error, _)) = &damaged {
        r.warn(format!(
            "{error}: {}",
            if p.check_mode {
                "this save would replace it"
            } else {
                "this save replaced it"
            }
        ));
    }
    for (k, v) in record_keys(&kept) {
        r.set(k, v);
    }
    r.set("record", kept.to_value())
        .set("changed", changed)
        .set(
            "msg",
            match (if_absent, changed, damaged.is_some()) {
                (true, true, _) => "claimed",
                (true, false, _) => "already claimed or saved by another run; see record",
                (false, true, true) => "record saved over a damaged record",
                (false, true, false) => "record saved",
                (false, false, _) => "record already up to date",
            },
        );
    Ok(r)
}
