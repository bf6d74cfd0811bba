// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What every backend offers. Conditional writes are the backend's job, because only it can make
//! them atomic (a directory lock on disk, `if-none-match` in Object Storage).

use crate::error::RecordStoreError;
use crate::key::RecordKey;
use crate::record::Record;

/// How [`RecordStore::save`] treats a record already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Write whatever is there.
    Overwrite,
    /// Create only if no record exists. A claim with no job id older than `stale_claim_after`
    /// seconds counts as absent: its claimer died before starting the job.
    IfAbsent {
        /// Seconds; `None`: a claim never goes stale.
        stale_claim_after: Option<u64>,
    },
}

/// What [`RecordStore::save`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    /// The record was written.
    Written,
    /// IfAbsent found a live record; nothing was written.
    Exists(Record),
}

/// What a store holds under a key.
#[derive(Debug)]
pub enum Stored {
    /// Nothing under the key.
    Missing,
    /// A well-formed record.
    Record(Record),
    /// Something is there, but not a record: `error` says why (a `RecordStoreError::Corrupt`), `text`
    /// is its content when that is UTF-8 (for a diff).
    Damaged {
        /// Why it is not a record.
        error: RecordStoreError,
        /// Its content, when UTF-8.
        text: Option<String>,
    },
}

impl Stored {
    /// A damaged record is an error here: whoever loads or claims must never take it for missing.
    pub fn into_record(self) -> Result<Option<Record>, RecordStoreError> {
        match self {
            Stored::Missing => Ok(None),
            Stored::Record(r) => Ok(Some(r)),
            Stored::Damaged { error, .. } => Err(error),
        }
    }

    /// Parses what was read at `location` (`None`: nothing there).
    pub fn from_bytes(bytes: Option<Vec<u8>>, location: &str) -> Stored {
        let Some(bytes) = bytes else {
            return Stored::Missing;
        };
        match String::from_utf8(bytes) {
            Ok(text) => match Record::parse(&text, location) {
                Ok(r) => Stored::Record(r),
                Err(error) => Stored::Damaged {
                    error,
                    text: Some(text),
                },
            },
            Err(_) => Stored::Damaged {
                error: RecordStoreError::Corrupt {
                    location: location.to_string(),
                    why: "not valid UTF-8".into(),
                },
                text: None,
            },
        }
    }
}

/// A place records are kept, by key: the filesystem ([`FsStore`](crate::FsStore)) or Object
/// Storage ([`OciStore`](crate::OciStore)).
pub trait RecordStore {
    /// How the record is named to users: a path, or `oci://bucket/object`.
    fn location(&self, key: &RecordKey) -> String;
    /// What is there, damaged records included; errors are for a store that cannot be read.
    fn inspect(&self, key: &RecordKey) -> Result<Stored, RecordStoreError>;
    /// `Ok(None)` only when the record does not exist; every other problem, a damaged record
    /// included, is an error.
    fn load(&self, key: &RecordKey) -> Result<Option<Record>, RecordStoreError> {
        self.inspect(key)?.into_record()
    }
    /// Writes `record` under `key` as `mode` says; atomic against other writers of this store.
    fn save(
        &self,
        key: &RecordKey,
        record: &Record,
        mode: SaveMode,
    ) -> Result<SaveOutcome, RecordStoreError>;
    /// Returns whether a record was there. Never reads it, so a damaged record can be removed.
    fn delete(&self, key: &RecordKey) -> Result<bool, RecordStoreError>;
}
