// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The option specs of the record modules, here rather than in each binary so the property tests
//! and fuzz targets check the very specs the modules validate against.

use crate::backend;
use protocol::{ArgSpec, Opt};
use serde_json::json;

/// Seconds after which an unfinished claim (a record without a job id) may be taken over.
pub const STALE_CLAIM_AFTER: i64 = 900;

/// async_job_save: save (or, `state=absent`, delete) the record of `job_name`, plus the backend
/// options.
pub fn async_job_save() -> ArgSpec {
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
        // Internal (async_task): check the options, names and backend settings as a save would,
        // then stop: no store is read, created or written, and the job id may be left out.
        Opt::bool("_validate_only").default(false),
    ];
    options.extend(backend::store_options());
    ArgSpec::new(options)
}

/// async_job_load: read the record of `job_name`, plus the backend options.
pub fn async_job_load() -> ArgSpec {
    let mut options = vec![
        Opt::str("job_name").required(),
        Opt::str("playbook_name").required(),
        Opt::str("host").required(),
    ];
    options.extend(backend::store_options());
    ArgSpec::new(options)
}

/// Every record module by name, with its spec.
pub fn all() -> Vec<(&'static str, ArgSpec)> {
    vec![
        ("async_job_save", async_job_save()),
        ("async_job_load", async_job_load()),
    ]
}
