//! async_job_load: find a job record by name. Only a record that does not exist is "not found";
//! a damaged or unreachable one is an error, so the caller never starts a duplicate job.

use controller_modules::backend::{self, record_keys};
use protocol::{ArgSpec, Failure, Opt, Params, Response};
use std::process::ExitCode;

fn spec() -> ArgSpec {
    let mut options = vec![
        Opt::str("job_name").required(),
        Opt::str("playbook_name").required(),
        Opt::str("host").required(),
    ];
    options.extend(backend::store_options());
    ArgSpec::new(options)
}

fn main() -> ExitCode {
    protocol::run("async_job_load", &spec(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let (key, store, mut r) = backend::begin(p)?;
    match store.load(&key)? {
        Some(record) => {
            r.set("found", true);
            for (k, v) in record_keys(&record) {
                r.set(k, v);
            }
        }
        None => {
            r.set("found", false)
                .set("ansible_job_id", "")
                .set("host", key.host.as_str())
                .set("metadata", serde_json::Map::new())
                .set("save_time", "")
                .set("pending", false);
        }
    }
    Ok(r)
}
