//! Backend selection and the options every record module shares.

use protocol::{Failure, Opt, Params, Response};
use records::fs::FsStore;
use records::{Record, RecordKey, Store};
use serde_json::{json, Value};

pub const DEFAULT_STATE_DIR: &str = ".ansible_async_state";

/// Options of both modules that pick and reach the store.
pub fn store_options() -> Vec<Opt> {
    vec![
        Opt::str("backend")
            .choices(&["filesystem", "oci"])
            .default("filesystem"),
        Opt::str("state_dir").default(DEFAULT_STATE_DIR),
        Opt::str("oci_bucket"),
        Opt::str("oci_namespace"),
        Opt::str("oci_profile").default("DEFAULT"),
        Opt::str("oci_config_file"),
        Opt::str("oci_endpoint"),
        Opt::int("oci_timeout"),
    ]
}

pub fn open(p: &Params) -> Result<Box<dyn Store>, Failure> {
    match p.str("backend") {
        Some("oci") => Err(Failure::new(
            "backend 'oci' is not available in this version of the collection; use backend: filesystem",
        )),
        _ => Ok(Box::new(FsStore::new(p.str("state_dir").unwrap_or(DEFAULT_STATE_DIR)))),
    }
}

pub fn key(p: &Params) -> Result<RecordKey, Failure> {
    Ok(RecordKey::new(
        p.str("host").unwrap_or_default(),
        p.str("playbook_name").unwrap_or_default(),
        p.str("job_name").unwrap_or_default(),
    )?)
}

/// What both modules start with: the record's key, its store, and a result naming both.
pub fn begin(p: &Params) -> Result<(RecordKey, Box<dyn Store>, Response), Failure> {
    let key = key(p)?;
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
