// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What the API answers, as JSON and as OpenAPI schemas. Field names are the seed's.

use job_core::{rfc3339, HostStats, Job, Reason, Stats, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The body of a cancel: `{}` (an empty body is accepted too).
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoBody {}

/// The seed's 202 answer. A 202 after `?wait` or `?sync` is the whole job (as GET), which has
/// these fields too.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    #[schema(format = Uuid)]
    pub job_id: String,
    pub status: Status,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub name: Option<String>,
    /// Always `false` here: a POST that found its name's job answers 200.
    pub attached: Option<bool>,
}

/// A 200 to a POST: the job (it ended within `?wait`, or the name's job was found), or with
/// `?sync=true` the seed's result.
#[allow(
    dead_code,
    clippy::large_enum_variant,
    reason = "for the document only: never built"
)]
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Finished {
    Job(JobView),
    Sync(SyncResult),
}

#[derive(Serialize, ToSchema)]
pub struct JobResult {
    pub rc: Option<i32>,
    /// Absent from the list: read it from the job.
    pub stdout: Option<String>,
    pub stats: Option<BTreeMap<String, HostStats>>,
}

#[derive(Serialize, ToSchema)]
pub struct JobView {
    #[schema(format = Uuid)]
    pub job_id: String,
    pub status: Status,
    pub playbook: String,
    pub inventory: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    /// `null` until the job ended.
    pub result: Option<JobResult>,
    pub name: Option<String>,
    pub reason: Option<Reason>,
    pub worker: Option<String>,
    pub attempt: u32,
    pub cancel_requested: bool,
    /// Why it failed or was canceled, in words (at most 1 KiB): for `rc` the first failed task
    /// as `<task> on <host>: <msg>`, for `spawn` the OS error, for `timeout` the limit, for
    /// `lost` the worker that died, for `corrupt` what did not parse. `null` otherwise.
    #[schema(required = true)]
    pub error: Option<String>,
    /// Lines of the run's event channel that were not kept (longer than `--event-line-max`, or
    /// not JSON): its events and stats may miss what they carried.
    pub dropped_events: u64,
    /// Only on a POST that found the name's job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attached: Option<bool>,
    /// The name of the token whose POST created the job (`default`: the `--token-file` or
    /// generated token; `anonymous`: `--no-token`); `null` for a job stored before jobs kept it.
    #[schema(required = true)]
    pub submitter: Option<String>,
    /// `--limit` of the run, as the client sent it.
    #[schema(required = true)]
    pub limit: Option<String>,
    /// `--tags` of the run.
    #[schema(required = true)]
    pub tags: Option<Vec<String>>,
    /// `--check`: a dry run.
    pub check: bool,
    /// Seconds the run may take.
    #[schema(required = true)]
    pub timeout: Option<u64>,
    /// The top-level names of the extra vars, in the order sent; their values only with
    /// `?include=extra_vars`.
    pub extra_var_names: Vec<String>,
    /// Only with `?include=extra_vars`: the extra vars, the value of every name the operator
    /// marks secret (`--secret-var`, and its defaults) shown as `"<secret>"`, at any depth.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extra_vars: Option<serde_json::Map<String, Value>>,
}

/// `?sync=true`: the seed's answer.
#[derive(Serialize, ToSchema)]
pub struct SyncResult {
    #[schema(format = Uuid)]
    pub job_id: String,
    pub status: Status,
    #[schema(required = true)]
    pub rc: Option<i32>,
    #[schema(required = true)]
    pub stdout: Option<String>,
    #[schema(required = true)]
    pub stats: Option<BTreeMap<String, HostStats>>,
}

#[derive(Serialize, ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobView>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// Each has `seq`, `event`, `time`, `counter`, and the event's own fields.
    pub events: Vec<BTreeMap<String, Value>>,
    /// The `after` for the next call.
    pub next: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(pattern = "^ok$")]
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The job a 409 is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub job_id: Option<String>,
}

fn stats(s: &Option<Stats>) -> Option<BTreeMap<String, HostStats>> {
    s.clone()
}

impl JobView {
    pub fn of(job: &Job) -> Self {
        let result = job.status.is_final().then(|| JobResult {
            rc: job.rc,
            stdout: job.stdout.clone(),
            stats: stats(&job.stats),
        });
        JobView {
            job_id: job.id.to_string(),
            status: job.status,
            playbook: job.spec.playbook.clone(),
            inventory: job.spec.inventory.display(),
            created_at: rfc3339(job.created_at),
            started_at: job.started_at.map(rfc3339),
            finished_at: job.finished_at.map(rfc3339),
            result,
            name: job.spec.name.clone(),
            reason: job.reason,
            worker: job.worker.clone(),
            attempt: job.attempt,
            cancel_requested: job.cancel_requested,
            error: job.error.clone(),
            dropped_events: job.dropped_events,
            attached: None,
            submitter: job.spec.submitter.clone(),
            limit: job.spec.limit.clone(),
            tags: job.spec.tags.clone(),
            check: job.spec.check,
            timeout: job.spec.timeout,
            extra_var_names: job.spec.extra_vars.keys().cloned().collect(),
            extra_vars: None,
        }
    }

    /// With the extra vars' values (`?include=extra_vars`), secret ones masked.
    pub fn with_extra_vars(mut self, job: &Job, secret: &super::secret_vars::SecretVars) -> Self {
        self.extra_vars = Some(secret.masked(&job.spec.extra_vars));
        self
    }

    pub fn attached(job: &Job) -> Self {
        Self {
            attached: Some(true),
            ..Self::of(job)
        }
    }
}

impl Accepted {
    pub fn of(job: &Job) -> Self {
        Accepted {
            job_id: job.id.to_string(),
            status: job.status,
            created_at: rfc3339(job.created_at),
            name: job.spec.name.clone(),
            attached: Some(false),
        }
    }
}

impl SyncResult {
    pub fn of(job: &Job) -> Self {
        SyncResult {
            job_id: job.id.to_string(),
            status: job.status,
            rc: job.rc,
            stdout: job.stdout.clone(),
            stats: stats(&job.stats),
        }
    }
}
