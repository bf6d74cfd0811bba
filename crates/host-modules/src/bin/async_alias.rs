// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_alias: gives a running job a name, a `jid_<alias>` symlink next to its job file.

use host_modules::{specs, AliasArgs};
use jobs::{name_job, NameRefused};
use protocol::{Failure, Params, Response};
use serde_json::{json, Value};
use std::process::ExitCode;

const NAME: &str = "async_alias";

fn main() -> ExitCode {
    protocol::run(NAME, &specs::async_alias(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let AliasArgs {
        alias,
        jid,
        force,
        dir,
    } = AliasArgs::from(p)?;
    let alias_path = dir.alias_file(&alias);
    let job_file = dir.job_file(&jid);

    let mut r = Response::new(false);
    r.set("ansible_job_id", jid.as_str())
        .set("ansible_job_alias", alias.as_str())
        .set("alias_path", alias_path.to_string_lossy().as_ref())
        .set("results_file", job_file.to_string_lossy().as_ref());

    let named = match name_job(&dir, &alias, &jid, force, p.check_mode) {
        Ok(named) => named,
        Err(NameRefused::Io(e)) => return Err(e.into()),
        Err(e) => {
            let mut f = Failure::new(&e).with_all(r);
            if let NameRefused::StillRunning { other, .. } = e {
                f = f.with("previous_job_id", other.as_str());
            }
            return Err(f);
        }
    };
    for warning in &named.warnings {
        r.warn(warning.as_str());
    }
    if !named.changed {
        return Ok(r.with("msg", format!("alias '{alias}' already names job {jid}")));
    }
    if p.diff {
        let before = named.previous.as_ref().map_or(
            Value::Null,
            |t| json!({ "alias": alias.as_str(), "job": t.as_str() }),
        );
        r.diff(
            before,
            json!({ "alias": alias.as_str(), "job": jid.as_str() }),
        );
    }
    if let Some(prev) = named.previous {
        r.set("previous_job_id", prev.as_str());
    }
    Ok(r.with("changed", true)
        .with("msg", format!("alias '{alias}' now names job {jid}")))
}
