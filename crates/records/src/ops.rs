// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What async_job_save does to a store, decided here so the binary only reads options and words
//! the answer: a save that keeps what is already there when nothing changed, a claim that never
//! takes a damaged record for a free name, and a delete that also removes damage.

use crate::error::RecordStoreError;
use crate::key::RecordKey;
use crate::record::Record;
use crate::store::{RecordStore, SaveMode, SaveOutcome, Stored};

/// How to save.
#[derive(Debug, Clone, Copy)]
pub struct SaveRequest {
    /// A claim: write only if no live record is there.
    pub if_absent: bool,
    /// Seconds after which a claim without a job id may be taken over.
    pub stale_claim_after: Option<u64>,
    /// Decide, write nothing.
    pub check_mode: bool,
}

/// What a save did.
#[derive(Debug)]
pub struct Saved {
    /// The record now in the store (ours, or the one a claim found).
    pub kept: Record,
    /// Whether the store changed (or, in check mode, would have).
    pub changed: bool,
    /// The record that was there before, if it was readable.
    pub before: Option<Record>,
    /// A damaged record that this save replaced (or would replace), with its text if readable.
    pub replaced_damage: Option<(RecordStoreError, Option<String>)>,
}

/// Saves `record` under `key` as `req` says.
pub fn save(
    store: &dyn RecordStore,
    key: &RecordKey,
    record: Record,
    req: SaveRequest,
) -> Result<Saved, RecordStoreError> {
    let (before, replaced_damage) = match store.inspect(key)? {
        Stored::Missing => (None, None),
        Stored::Record(e) => (Some(e), None),
        // A claim must never take a damaged record for a free name: the job may be running.
        Stored::Damaged { error, .. } if req.if_absent => return Err(error),
        // A plain save says which job the name is; it replaces whatever is there, so it
        // replaces a damaged record too, and says so.
        Stored::Damaged { error, text } => (None, Some((error, text))),
    };
    let live = before
        .as_ref()
        .filter(|e| !(req.if_absent && e.is_stale_claim(req.stale_claim_after)));
    let (kept, changed) = match (req.if_absent, live) {
        (true, Some(e)) => (e.clone(), false),
        (false, Some(e)) if e.same_content(&record) => (e.clone(), false),
        _ if req.check_mode => (record, true),
        _ => {
            let mode = if req.if_absent {
                SaveMode::IfAbsent {
                    stale_claim_after: req.stale_claim_after,
                }
            } else {
                SaveMode::Overwrite
            };
            match store.save(key, &record, mode)? {
                SaveOutcome::Written => (record, true),
                // Another run claimed it between our read and our write.
                SaveOutcome::Exists(winner) => (winner, false),
            }
        }
    };
    Ok(Saved {
        kept,
        changed,
        before,
        replaced_damage,
    })
}

/// What a delete did.
#[derive(Debug)]
pub struct Deleted {
    /// Whether a record (or damaged file) was there to delete.
    pub changed: bool,
    /// The text that was there (a record's, or a damaged file's if readable).
    pub before: String,
    /// The module's message: `no such record`, `record deleted` or `damaged record deleted`.
    pub msg: &'static str,
}

/// Deletes the record; a damaged one is removed like any other: this is the way out the load
/// error names.
pub fn delete(
    store: &dyn RecordStore,
    key: &RecordKey,
    check_mode: bool,
) -> Result<Deleted, RecordStoreError> {
    let (changed, before, msg) = match store.inspect(key)? {
        Stored::Missing => (false, String::new(), "no such record"),
        Stored::Record(e) => (true, e.to_text(), "record deleted"),
        Stored::Damaged { text, .. } => (true, text.unwrap_or_default(), "damaged record deleted"),
    };
    if changed && !check_mode {
        store.delete(key)?;
    }
    Ok(Deleted {
        changed,
        before,
        msg,
    })
}
