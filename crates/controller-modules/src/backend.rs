// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Backend selection and the options every record module shares.

use protocol::{Failure, Opt, Params, Response};
use records::{FsStore, OciOptions, OciStore, Record, RecordKey, RecordStore};
use serde_json::{json, Value};
use std::time::Duration;

/// The filesystem backend's `state_dir` default.
pub const DEFAULT_STATE_DIR: &str = ".ansible_async_state";
/// Seconds an OCI operation may take, retries included.
pub const DEFAULT_OCI_TIMEOUT: i64 = 60;

/// Options of both modules that pick and reach the store.
pub fn store_options() -> Vec<Opt> {
    vec![
        Opt::str("backend")
            .choices(&["filesystem", "oci"])
            .default("filesystem"),
        Opt::str("state_dir").default(DEFAULT_STATE_DIR),
        Opt::str("oci_bucket"),
        Opt::str("oci_namespace"),
        // No default here: without it the OCI CLI's own rule applies (OCI_CLI_PROFILE, then DEFAULT).
        Opt::str("oci_profile"),
        Opt::str("oci_config_file"),
        Opt::str("oci_endpoint"),
        Opt::int("oci_timeout").default(DEFAULT_OCI_TIMEOUT),
    ]
}

/// Checks the backend settings and opens the store (for OCI: may ask for the namespace).
pub fn open(p: &Params) -> Result<Box<dyn RecordStore>, Failure> {
    match oci_options(p)? {
        None => Ok(Box::new(FsStore::new(p.text("state_dir")?))),
        Some(options) => Ok(Box::new(OciStore::open(&options)?)),
    }
}

/// Checks the backend settings as `open` would, without changing the store: for OCI the config,
/// the profile, the key and the endpoint are checked, and no request is sent; for the filesystem,
/// that the state dir is or can be a directory and that what exists below it is ours alone.
pub fn check(p: &Params, key: &RecordKey) -> Result<(), Failure> {
    match oci_options(p)? {
        Some(options) => {
            OciStore::client(&options)?;
        }
        None => FsStore::new(p.text("state_dir")?).check(key)?,
    }
    Ok(())
}

/// The OCI settings, or `None` for the filesystem backend.
fn oci_options(p: &Params) -> Result<Option<OciOptions<'_>>, Failure> {
    if p.text("backend")? != "oci" {
        return Ok(None);
    }
    let bucket = p
        .str("oci_bucket")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            Failure::new("backend is oci but all of the following are missing: oci_bucket")
        })?;
    let timeout = p.integer("oci_timeout")?;
    if timeout <= 0 {
        return Err(Failure::new(format!(
            "oci_timeout must be a positive number of seconds, got {timeout}"
        )));
    }
    let options = OciOptions {
        bucket,
        namespace: p.str("oci_namespace"),
        profile: p.str("oci_profile"),
        config_file: p.str("oci_config_file"),
        endpoint: p.str("oci_endpoint"),
        timeout: Duration::from_secs(timeout.unsigned_abs()),
    };
    Ok(Some(options))
}

/// The record's key from `host`, `playbook_name` and `job_name`, each checked to be one path
/// component.
pub fn key(p: &Params) -> Result<RecordKey, Failure> {
    Ok(RecordKey::new(
        p.str("host").unwrap_or_default(),
        p.str("playbook_name").unwrap_or_default(),
        p.str("job_name").unwrap_or_default(),
    )?)
}

/// What both modules start with: the record's key, its store, and a result naming both.
pub fn begin(p: &Params) -> Result<(RecordKey, Box<dyn RecordStore>, Response), Failure> {
    begin_with(p, key(p)?)
}

/// `begin` for a key already checked.
pub fn begin_with(
    p: &Params,
    key: RecordKey,
) -> Result<(RecordKey, Box<dyn RecordStore>, Response), Failure> {
    let store = open(p)?;
    let mut r = Response::new(false);
    r.set("state_file", store.location(&key))
        .set("job_name", key.job.as_str())
        .set("playbook_name", key.playbook.as_str());
    Ok((key, store, r))
}

/// The record's fields as result keys (what the roles turn into their output variables).
pub fn record_keys(r: &Record) -> Vec<(&'static str, Value)> {
    vec![
        (
            "ansible_job_id",
            json!(r.ansible_job_id.clone().unwrap_or_default()),
        ),
        ("host", json!(r.host)),
        ("metadata", Value::Object(r.metadata.clone())),
        ("save_time", json!(r.save_time)),
        ("pending", json!(r.ansible_job_id.is_none())),
    ]
}
