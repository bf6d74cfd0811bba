// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The OCI Object Storage store: object `<host>/<playbook>/<job>.json` in a bucket, the same JSON
//! as on disk. Claims are create-only writes (`if-none-match: *`); a stale claim is replaced only
//! if it is still the version we read (`if-match`), so concurrent takeovers have one winner.

use crate::error::RecordStoreError;
use crate::key::RecordKey;
use crate::record::Record;
use crate::store::{RecordStore, SaveMode, SaveOutcome, Stored};
use oci::{Client, Conditional, PutOutcome};
use std::time::Duration;

/// Where the records live in Object Storage, and how to reach it: the modules' `oci_*` options.
pub struct OciOptions<'a> {
    /// The bucket.
    pub bucket: &'a str,
    /// The tenancy's namespace; asked of the service when `None` or empty.
    pub namespace: Option<&'a str>,
    /// The config profile (`None`: the OCI CLI's default).
    pub profile: Option<&'a str>,
    /// The config file (`None`: the OCI CLI's default).
    pub config_file: Option<&'a str>,
    /// Overrides the region's endpoint (private endpoints, tests).
    pub endpoint: Option<&'a str>,
    /// The time limit for each operation, retries included.
    pub timeout: Duration,
}

/// Records as objects named `<host>/<playbook>/<job>.json` in one bucket; conditional writes
/// (`if-none-match`, `if-match`) make claims atomic.
pub struct OciStore {
    client: Client,
    namespace: String,
    bucket: String,
}

impl OciStore {
    /// Reads the config and the key and checks the endpoint: everything but the network.
    pub fn client(o: &OciOptions) -> Result<Client, RecordStoreError> {
        let profile = oci::config::load(o.config_file, o.profile).map_err(RecordStoreError::Oci)?;
        Client::from_profile(&profile, o.endpoint, o.timeout).map_err(RecordStoreError::Oci)
    }

    /// A store ready to use: [`OciStore::client`], then the namespace when it was not given.
    pub fn open(o: &OciOptions) -> Result<OciStore, RecordStoreError> {
        let client = Self::client(o)?;
        // The old roles made every playbook fetch the namespace with the CLI; ask only if not given.
        let namespace = match o.namespace.filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => client.namespace().map_err(RecordStoreError::Oci)?,
        };
        Ok(OciStore {
            client,
            namespace,
            bucket: o.bucket.to_string(),
        })
    }

    /// What is there and its ETag.
    fn fetch(&self, key: &RecordKey) -> Result<(Stored, String), RecordStoreError> {
        let obj = self
            .client
            .get(&self.namespace, &self.bucket, &key.relative())
            .map_err(RecordStoreError::Oci)?;
        let etag = obj.as_ref().map(|o| o.etag.clone()).unwrap_or_default();
        let stored = Stored::from_bytes(obj.map(|o| o.body), &self.location(key));
        Ok((stored, etag))
    }

    /// A record and its ETag; a damaged record is an error.
    fn get(&self, key: &RecordKey) -> Result<Option<(Record, String)>, RecordStoreError> {
        let (stored, etag) = self.fetch(key)?;
        Ok(stored.into_record()?.map(|r| (r, etag)))
    }
}

impl RecordStore for OciStore {
    fn location(&self, key: &RecordKey) -> String {
        format!("oci://{}/{}", self.bucket, key.relative())
    }

    fn inspect(&self, key: &RecordKey) -> Result<Stored, RecordStoreError> {
        Ok(self.fetch(key)?.0)
    }

    fn save(
        &self,
        key: &RecordKey,
        record: &Record,
        mode: SaveMode,
    ) -> Result<SaveOutcome, RecordStoreError> {
        let name = key.relative();
        let body = record.to_text().into_bytes();
        let put = |cond: &Conditional| {
            self.client
                .put(&self.namespace, &self.bucket, &name, &body, cond)
                .map_err(RecordStoreError::Oci)
        };
        let SaveMode::IfAbsent { stale_claim_after } = mode else {
            put(&Conditional::Always)?;
            return Ok(SaveOutcome::Written);
        };
        if let PutOutcome::Written { .. } = put(&Conditional::IfNoneMatch)? {
            return Ok(SaveOutcome::Written);
        }
        // Someone's record is there. Take it over only if it is a stale claim, and only if it is
        // still the version we read.
        let Some((existing, etag)) = self.get(key)? else {
            // Deleted in between: try the create-only write once more.
            return match put(&Conditional::IfNoneMatch)? {
                PutOutcome::Written { .. } => Ok(SaveOutcome::Written),
                PutOutcome::PreconditionFailed => self.winner(key),
            };
        };
        if !existing.is_stale_claim(stale_claim_after) {
            return Ok(SaveOutcome::Exists(existing));
        }
        match put(&Conditional::IfMatch(etag))? {
            PutOutcome::Written { .. } => Ok(SaveOutcome::Written),
            PutOutcome::PreconditionFailed => self.winner(key),
        }
    }

    fn delete(&self, key: &RecordKey) -> Result<bool, RecordStoreError> {
        self.client
            .delete(&self.namespace, &self.bucket, &key.relative(), None)
            .map_err(RecordStoreError::Oci)
    }
}

impl OciStore {
    /// After losing a conditional write: the record that won.
    fn winner(&self, key: &RecordKey) -> Result<SaveOutcome, RecordStoreError> {
        match self.get(key)? {
            Some((r, _)) => Ok(SaveOutcome::Exists(r)),
            None => Err(RecordStoreError::Vanished {
                location: self.location(key),
            }),
        }
    }
}
