// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The option specs of the on-host modules, here rather than in each binary so the property tests
//! (and fuzz targets) check the very specs the modules validate against.
//!
//! Options that start with `_` are set by the action plugins, never by users; each has one owner,
//! the controller side, and is required here, so no default is stated twice. The table of them
//! is in CONTRIBUTING.md ("Options between the action plugins and the binaries"), and
//! tests/unit/test_internal_options.py keeps it, the plugins and these specs in step.

use protocol::{ArgSpec, Opt};

/// async_status_id: a job by `jid` or `alias`; `mode` status, cleanup or full_cleanup; `wait` to
/// hold a status answer until the job ends.
pub fn async_status_id() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("jid"),
        Opt::str("alias"),
        Opt::str("mode")
            .choices(&["status", "cleanup", "full_cleanup"])
            .default("status"),
        // Seconds to hold the answer while the job runs (mode=status); 0 is a poll.
        Opt::float("wait").default(0.0),
        // false: a job that failed, was killed or lost its wrapper is data, not a failed task.
        Opt::bool("fail_on_job_failure").default(true),
        Opt::str("_async_dir").required(),
    ])
    .exactly_one_of(&["jid", "alias"])
}

/// async_alias: point `alias` at `jid`, `force` to move it off a running job.
pub fn async_alias() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("alias").required(),
        Opt::str("jid").required(),
        // Resolved into jid by the action plugin; listed so error messages name every option.
        Opt::raw("job"),
        Opt::bool("force").default(false),
        Opt::str("_async_dir").required(),
    ])
}

/// async_kill: a job by `jid` or `alias`, the `signal` to send and the `grace` before KILL.
pub fn async_kill() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("jid"),
        Opt::str("alias"),
        Opt::str("signal").default("TERM"),
        Opt::float("grace").default(5.0),
        Opt::str("_async_dir").required(),
    ])
    .exactly_one_of(&["jid", "alias"])
}

/// async_task's host side: `_mode` claim or release of `alias`, under the run's `_token`.
pub fn async_task() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("alias").required(),
        Opt::str("restart")
            .choices(&["never", "on_failure", "always"])
            .default("never"),
        Opt::str("_mode").choices(&["claim", "release"]).required(),
        Opt::str("_token").required(),
        Opt::int("_claim_ttl").required(),
        Opt::str("_jid"),
        // The claim token a previous `wait` answer named: attach to what that run started.
        Opt::str("_after"),
        Opt::str("_async_dir").required(),
    ])
}

/// async_job_info: the jobs of the async dir, filtered by `name` glob, `state` and `older_than`.
pub fn async_job_info() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("name"),
        Opt::list("state"),
        Opt::str("older_than"),
        Opt::str("_async_dir").required(),
    ])
}

/// async_prune: removes the ended jobs older than `older_than`, filtered like async_job_info.
pub fn async_prune() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("name"),
        Opt::list("state"),
        Opt::str("older_than").required(),
        Opt::str("_async_dir").required(),
    ])
}

/// Every on-host module by name, with its spec.
pub fn all() -> Vec<(&'static str, ArgSpec)> {
    vec![
        ("async_status_id", async_status_id()),
        ("async_alias", async_alias()),
        ("async_kill", async_kill()),
        ("async_task", async_task()),
        ("async_job_info", async_job_info()),
        ("async_prune", async_prune()),
    ]
}
