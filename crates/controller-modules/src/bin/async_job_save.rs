// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_save: save (or claim, or delete) a job record by name.

use controller_modules::backend::{self, record_keys};
use controller_modules::specs;
use protocol::{Failure, Params, Response};
use records::ops::{self, SaveRequest, Saved};
use records::{now_utc, Record};
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
        backend::check(p, &key)?;
        return Ok(Response::new(false).with("msg", "record options are valid"));
    }
    if !absent && jid.is_none() && !if_absent {
        return Err(Failure::new(
            "state is present but all of the following are missing: ansible_job_id \
             (only a claim, if_absent: true, may be saved without a job id)",
        ));
    }
    let (key, store, mut r) = backend::begin_with(p, key)?;
    if absent {
        let done = ops::delete(store.as_ref(), &key, p.check_mode)?;
        if p.diff {
            r.diff(done.before, "");
        }
        return Ok(r.with("changed", done.changed).with("msg", done.msg));
    }
    let record = Record {
        job_name: key.job.clone(),
        host: key.host.clone(),
        ansible_job_id: jid.map(str::to_string),
        save_time: now_utc(),
        metadata: p.dict("metadata").cloned().unwrap_or_default(),
    };
    let request = SaveRequest {
        if_absent,
        stale_claim_after: p
            .int("stale_claim_after")
            .and_then(|s| u64::try_from(s).ok()),
        check_mode: p.check_mode,
    };
    let saved = ops::save(store.as_ref(), &key, record, request)?;
    Ok(answer(saved, if_absent, p, r))
}

fn answer(saved: Saved, if_absent: bool, p: &Params, mut r: Response) -> Response {
    let Saved {
        kept,
        changed,
        before,
        replaced_damage,
    } = saved;
    if if_absent {
        r.set("claimed", changed);
    }
    if p.diff && changed {
        let before = match &replaced_damage {
            Some((_, text)) => Value::String(text.clone().unwrap_or_default()),
            None => diff_text(before.as_ref()),
        };
        r.diff(before, diff_text(Some(&kept)));
    }
    if let Some((error, _)) = &replaced_damage {
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
            match (if_absent, changed, replaced_damage.is_some()) {
                (true, true, _) => "claimed",
                (true, false, _) => "already claimed or saved by another run; see record",
                (false, true, true) => "record saved over a damaged record",
                (false, true, false) => "record saved",
                (false, false, _) => "record already up to date",
            },
        );
    r
}
