//! async_job_save: save (or claim, or delete) a job record by name.

use controller_modules::backend::{self, record_keys};
use protocol::{ArgSpec, Failure, Opt, Params, Response};
use records::record::now_utc;
use records::{Record, SaveMode, SaveOutcome};
use serde_json::{json, Value};
use std::process::ExitCode;

/// How old a claim with no job id must be before another run may take it over.
const STALE_CLAIM_AFTER: i64 = 900;

fn spec() -> ArgSpec {
    let mut options = vec![
        Opt::str("job_name").required(),
        Opt::str("ansible_job_id"),
        Opt::str("host").required(),
        Opt::str("playbook_name").required(),
        Opt::dict("metadata").default(json!({})),
        Opt::str("state")
            .choices(&["present", "absent"])
            .default("present"),
        Opt::bool("if_absent").default(false),
        Opt::int("stale_claim_after").default(STALE_CLAIM_AFTER),
    ];
    options.extend(backend::store_options());
    ArgSpec::new(options)
}

fn main() -> ExitCode {
    protocol::run("async_job_save", &spec(), body)
}

fn diff_text(r: Option<&Record>) -> Value {
    Value::String(r.map(Record::to_text).unwrap_or_default())
}

fn body(p: &Params) -> Result<Response, Failure> {
    let (key, store, mut r) = backend::begin(p)?;
    let existing = store.load(&key)?;

    if p.str("state") == Some("absent") {
        let changed = existing.is_some();
        if changed && !p.check_mode {
            store.delete(&key)?;
        }
        if p.diff {
            r.diff(diff_text(existing.as_ref()), "");
        }
        r.set("changed", changed).set(
            "msg",
            if changed {
                "record deleted"
            } else {
                "no such record"
            },
        );
        return Ok(r);
    }

    let if_absent = p.bool("if_absent");
    let jid = p.str("ansible_job_id").filter(|j| !j.is_empty());
    if jid.is_none() && !if_absent {
        return Err(Failure::new(
            "state is present but all of the following are missing: ansible_job_id \
             (only a claim, if_absent: true, may be saved without a job id)",
        ));
    }
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
        r.diff(diff_text(existing.as_ref()), diff_text(Some(&kept)));
    }
    for (k, v) in record_keys(&kept) {
        r.set(k, v);
    }
    r.set("record", kept.to_value())
        .set("changed", changed)
        .set(
            "msg",
            match (if_absent, changed) {
                (true, true) => "claimed",
                (true, false) => "already claimed or saved by another run; see record",
                (false, true) => "record saved",
                (false, false) => "record already up to date",
            },
        );
    Ok(r)
}
