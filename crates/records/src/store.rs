//! What every backend offers. Conditional writes are the backend's job, because only it can make
//! them atomic (a directory lock on disk, `if-none-match` in Object Storage).

use crate::error::StoreError;
use crate::key::RecordKey;
use crate::record::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Write whatever is there.
    Overwrite,
    /// Create only if no record exists. A claim with no job id older than `stale_claim_after`
    /// seconds counts as absent: its claimer died before starting the job.
    IfAbsent { stale_claim_after: Option<u64> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SaveOutcome {
    Written,
    /// IfAbsent found a live record; nothing was written.
    Exists(Record),
}

pub trait Store {
    /// How the record is named to users: a path, or `oci://bucket/object`.
    fn location(&self, key: &RecordKey) -> String;
    /// `Ok(None)` only when the record does not exist; every other problem is an error.
    fn load(&self, key: &RecordKey) -> Result<Option<Record>, StoreError>;
    fn save(
        &self,
        key: &RecordKey,
        record: &Record,
        mode: SaveMode,
    ) -> Result<SaveOutcome, StoreError>;
    /// Returns whether a record was there.
    fn delete(&self, key: &RecordKey) -> Result<bool, StoreError>;
}
