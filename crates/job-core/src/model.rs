// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What a job is: its id, its state machine, what was asked for, and how it ended.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// A job id: a UUID v7, so ids sort by creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub Uuid);

impl JobId {
    /// A fresh id, stamped with the current time.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Where a job is in its life: `pending` → `running` → one of the three final states, or
/// `pending` → `canceled` directly. A final state never changes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Queued, waiting for a worker to take it.
    Pending,
    /// Claimed by a worker, which runs it now.
    Running,
    /// The run ended with exit code 0.
    Successful,
    /// The run ended any other way; [`Job::reason`] says which.
    Failed,
    /// Canceled while pending, or stopped by a cancel while running.
    Canceled,
}

impl Status {
    /// Every status, in the order of a job's life (the order of `counts` and of the metrics).
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Running,
        Status::Successful,
        Status::Failed,
        Status::Canceled,
    ];

    /// The name in the API and in the stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Successful => "successful",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    /// The inverse of [`Status::as_str`]; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// `successful`, `failed` or `canceled`: the job has ended and will not change again.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Successful | Status::Failed | Status::Canceled)
    }

    /// `pending` or `running`: a live job holds its name against other payloads.
    pub fn is_live(self) -> bool {
        !self.is_final()
    }
}

/// Why a job `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// ansible-playbook ended with a non-zero code (or a signal).
    Rc,
    /// It ran past its `timeout` and was stopped.
    Timeout,
    /// Its worker died while it ran.
    Lost,
    /// ansible-playbook could not be started.
    Spawn,
    /// The store holds the job in a form that does not parse (a damaged row or hash): it can
    /// never run, so it is ended rather than left to block the queue.
    Corrupt,
}

impl Reason {
    /// The name in the API and in the stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rc => "rc",
            Reason::Timeout => "timeout",
            Reason::Lost => "lost",
            Reason::Spawn => "spawn",
            Reason::Corrupt => "corrupt",
        }
    }

    /// The inverse of [`Reason::as_str`]; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Reason::Rc,
            Reason::Timeout,
            Reason::Lost,
            Reason::Spawn,
            Reason::Corrupt,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// What a new POST of a name does once that name's job has ended (as async_task's `restart`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// The ended job is the answer, whatever its status.
    #[default]
    Never,
    /// A new job unless the ended one was `successful`.
    OnFailure,
    /// Always a new job.
    Always,
}

impl Restart {
    /// `never`, `on_failure` or `always`; `None` for any other text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "never" => Some(Restart::Never),
            "on_failure" => Some(Restart::OnFailure),
            "always" => Some(Restart::Always),
            _ => None,
        }
    }
}

/// Where the hosts come from, already validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inventory {
    /// Host names, passed as `-i h1,h2,`.
    Hosts(Vec<String>),
    /// A file under `<project>/inventories/`, relative to the project.
    File(String),
}

impl Inventory {
    /// The form the client sent (and the one shown back): `h1,h2,` or the file's path.
    pub fn display(&self) -> String {
        match self {
            Inventory::Hosts(hosts) => {
                let mut s = hosts.join(",");
                if hosts.len() == 1 {
                    s.push(',');
                }
                s
            }
            Inventory::File(path) => path.clone(),
        }
    }
}

/// A validated request: everything a worker needs to run it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// Relative to the project dir.
    pub playbook: String,
    /// Passed as `--extra-vars`; `ansible_*` keys were refused.
    pub extra_vars: serde_json::Map<String, Value>,
    /// The hosts, passed as `-i`.
    pub inventory: Inventory,
    /// The idempotency name: while a job of this name is live, a POST of the same name attaches
    /// to it (same payload) or conflicts (another payload).
    pub name: Option<String>,
    /// What a POST of this name does once the name's job has ended.
    #[serde(default)]
    pub restart: Restart,
    /// Seconds from the start of the run; past it the run is stopped and the job `failed`
    /// with reason `timeout`.
    pub timeout: Option<u64>,
    /// A host pattern, passed as `--limit`.
    pub limit: Option<String>,
    /// Passed as `--tags`.
    pub tags: Option<Vec<String>>,
    /// Passed as `--check`: a dry run.
    #[serde(default)]
    pub check: bool,
    /// The name of the token whose POST created the job (`anonymous` under `--no-token`). Not
    /// part of the payload: a POST of the same name and payload by another token attaches to
    /// the job, which keeps its first submitter. Both stores keep the spec as one JSON
    /// document, so a job stored before this field existed reads back as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitter: Option<String>,
}

/// Per-host counters in the seed's shape, from the job_events callback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HostStats {
    /// Tasks that succeeded, changed ones included.
    pub ok: u64,
    /// Tasks that changed something.
    pub changed: u64,
    /// Tasks that failed.
    pub failures: u64,
    /// Tasks for which the host could not be reached.
    pub unreachable: u64,
    /// Tasks skipped by a condition.
    pub skipped: u64,
    /// Failures handled by a `rescue` block.
    pub rescued: u64,
    /// Failures let through by `ignore_errors`.
    pub ignored: u64,
}

/// The counters of a run by host name, from the `playbook_on_stats` event.
pub type Stats = BTreeMap<String, HostStats>;

/// A job as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Its id, given at submission.
    pub id: JobId,
    /// Insertion order, for paging.
    pub seq: i64,
    /// What was asked for.
    pub spec: JobSpec,
    /// The hash of the payload's compared fields: two POSTs of one name carry the same payload
    /// when their fingerprints are equal (`name` and `restart` are not part of it).
    pub fingerprint: String,
    /// Where it is in its life.
    pub status: Status,
    /// Why it `failed`; `None` in every other status.
    pub reason: Option<Reason>,
    /// When it was submitted, µs since the epoch.
    pub created_at: i64,
    /// When a worker took it, µs since the epoch.
    pub started_at: Option<i64>,
    /// When it reached a final status, µs since the epoch.
    pub finished_at: Option<i64>,
    /// The worker that took it last.
    pub worker: Option<String>,
    /// How many times a worker took it.
    pub attempt: u32,
    /// Someone asked to cancel it while it ran; its worker stops the run when it learns this.
    pub cancel_requested: bool,
    /// ansible-playbook's exit code, or minus the signal that killed it; `None` when it never
    /// ran or left no code.
    pub rc: Option<i32>,
    /// The per-host counters of the run, when the callback reported them.
    pub stats: Option<Stats>,
    /// The kept tail of stdout+stderr, once the job ended.
    pub stdout: Option<String>,
    /// Why it failed or was canceled, in words: the first failed task for `rc`, the OS error
    /// for `spawn`, what did not parse for `corrupt`; `None` while it is live and when it
    /// succeeded.
    pub error: Option<String>,
    /// Lines of the run's event channel that were not kept (longer than the reader's limit, or
    /// not a JSON object): the events and stats may miss what they carried.
    pub dropped_events: u64,
}

impl Job {
    /// What is shown of a job the store holds in a form that does not parse: its id and what
    /// could be read, `failed` with reason `corrupt`, and `why` as its error. The request is
    /// unknown: an empty playbook and inventory.
    pub fn corrupt(id: JobId, seq: i64, created_at: i64, why: &str) -> Self {
        Job {
            id,
            seq,
            spec: JobSpec {
                playbook: String::new(),
                extra_vars: serde_json::Map::new(),
                inventory: Inventory::Hosts(Vec::new()),
                name: None,
                restart: Restart::Never,
                timeout: None,
                limit: None,
                tags: None,
                check: false,
                submitter: None,
            },
            fingerprint: String::new(),
            status: Status::Failed,
            reason: Some(Reason::Corrupt),
            created_at,
            started_at: None,
            finished_at: None,
            worker: None,
            attempt: 0,
            cancel_requested: false,
            rc: None,
            stats: None,
            stdout: Some(String::new()),
            error: Some(error_text(why)),
            dropped_events: 0,
        }
    }
}

/// How a run ended, as the worker reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finish {
    /// The final status: `successful`, `failed` or `canceled`.
    pub status: Status,
    /// Why it failed, when it did.
    pub reason: Option<Reason>,
    /// ansible-playbook's exit code, or minus the signal that killed it; `None` when it never
    /// ran or left no code.
    pub rc: Option<i32>,
    /// The per-host counters, when the callback reported them.
    pub stats: Option<Stats>,
    /// Why it failed or was canceled, in words (see [`Job::error`]); cut to [`ERROR_MAX`].
    pub error: Option<String>,
    /// Event lines the reader did not keep (see [`Job::dropped_events`]).
    pub dropped_events: u64,
}

/// The longest [`Job::error`] kept, in bytes: a message, not a log.
pub const ERROR_MAX: usize = 1024;

/// `text` cut to at most [`ERROR_MAX`] bytes on a character boundary, `…` marking a cut.
pub fn error_text(text: &str) -> String {
    if text.len() <= ERROR_MAX {
        return text.to_string();
    }
    let mut end = ERROR_MAX - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl Finish {
    /// A failed end with its reason and message, no rc nor stats.
    pub fn failed(reason: Reason, error: impl Into<String>) -> Self {
        Finish {
            status: Status::Failed,
            reason: Some(reason),
            rc: None,
            stats: None,
            error: Some(error_text(&error.into())),
            dropped_events: 0,
        }
    }
}
