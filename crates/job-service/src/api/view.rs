// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What the API answers, as JSON and as OpenAPI schemas. Field names are the seed's.

use job_core::{rfc3339, HostStats, Job, Reason, Stats, Status};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

// The patterns here and in the fields' attributes are what `job_core::validate` accepts: a value
// they refuse is refused by the handler, and (but for the file checks: the playbook and an
// inventory file must exist) a value they accept is accepted. `inventory` is a file (no comma) or
// a comma list of host names, empty items skipped. schemathesis holds the document and the
// handler together (tests/service/test_schemathesis.py).
const TAG_PATTERN: &str = r"^[A-Za-z0-9._-]{1,255}$";
const TAGS_PATTERN: &str = r"^ *[A-Za-z0-9._-]{1,255} *(?:, *[A-Za-z0-9._-]{1,255} *){0,99}$";

/// The body of `POST /api/v1/jobs` (for the document: the handler validates field by field).
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// A `.yml`/`.yaml` regular file inside the project dir, relative to it (no `..`, no
    /// component starting with `-`), after resolving symlinks.
    #[schema(
        example = "hello.yml",
        pattern = r"^[^/\x00-][^\x00]*\.ya?ml$",
        min_length = 5,
        max_length = 4096
    )]
    pub playbook: String,
    /// Variables for the play: at most 64 KiB as JSON and 8 levels deep; keys are identifiers,
    /// `ansible_*` and the names ansible-core reserves are refused.
    #[schema(schema_with = extra_vars_schema)]
    pub extra_vars: Option<BTreeMap<String, Value>>,
    /// `localhost,`, `h1,h2`, or a file under `inventories/` without an execute bit.
    #[schema(
        example = "localhost,",
        pattern = r"^(?:[^,\x00]{1,4096}|,*[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252}(?:,+[A-Za-z0-9._:][A-Za-z0-9._:-]{0,252})*,*)$"
    )]
    pub inventory: Option<String>,
    /// A named job: one run per name at a time (also the `Idempotency-Key` header).
    #[schema(pattern = r"^[A-Za-z0-9._:@-]{1,255}$")]
    pub name: Option<String>,
    pub restart: Option<job_core::Restart>,
    /// Seconds.
    #[schema(minimum = 1, maximum = 604800)]
    pub timeout: Option<u64>,
    /// `--limit`: host pattern characters only.
    #[schema(pattern = r"^[A-Za-z0-9._:,!&*?\[\]-]{1,4096}$")]
    pub limit: Option<String>,
    /// `--tags`: a comma list, or a list (an empty list is no tags).
    #[schema(schema_with = tags_schema)]
    pub tags: Option<Tags>,
    pub check: Option<bool>,
}

fn nullable(s: utoipa::openapi::Schema) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{OneOfBuilder, Type};
    use utoipa::openapi::ObjectBuilder;
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .item(s)
        .into()
}

/// Top-level keys as `validate::extra_vars` takes them, in one pattern (a lookahead each for
/// `ansible_*`, any case, and the reserved names).
fn extra_vars_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, Type};
    use utoipa::openapi::ObjectBuilder;
    let key = format!(
        "^(?![Aa][Nn][Ss][Ii][Bb][Ll][Ee]_)(?!(?:{})$)[A-Za-z_][A-Za-z0-9_]{{0,254}}$",
        job_core::validate::RESERVED_NAMES.join("|")
    );
    let obj = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(ObjectBuilder::new().schema_type(Type::String).pattern(Some(key))))
        .additional_properties(Some(AdditionalProperties::FreeForm(true)))
        .description(Some(
            "Variables for the play: at most 64 KiB as JSON and 8 levels deep (the object is level 1); \
             keys are identifiers, `ansible_*` and the names ansible-core reserves are refused; \
             every value is data, never a template.",
        ))
        .build();
    nullable(obj.into())
}

fn tags_schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Type};
    use utoipa::openapi::ObjectBuilder;
    let one = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TAGS_PATTERN))
        .description(Some("A comma list, spaces around the commas allowed"));
    let many = ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(TAG_PATTERN)),
        )
        .max_items(Some(100))
        .description(Some("Up to 100 tags; an empty list is no tags"));
    nullable(OneOfBuilder::new().item(one).item(many).build().into())
}

/// Tags as a comma list or a list.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Tags {
    One(String),
    Many(Vec<String>),
}

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
