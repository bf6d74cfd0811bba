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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Running,
    Successful,
    Failed,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Running,
        Status::Successful,
        Status::Failed,
        Status::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Successful => "successful",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Status::Successful | Status::Failed | Status::Canceled)
    }

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
    Timeout,
    /// Its worker died while it ran.
    Lost,
    /// ansible-playbook could not be started.
    Spawn,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rc => "rc",
            Reason::Timeout => "timeout",
            Reason::Lost => "lost",
            Reason::Spawn => "spawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Reason::Rc, Reason::Timeout, Reason::Lost, Reason::Spawn]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// What a new POST of a name does once that name's job has ended (as async_task's `restart`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    #[default]
    Never,
    OnFailure,
    Always,
}

impl Restart {
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
    pub extra_vars: serde_json::Map<String, Value>,
    pub inventory: Inventory,
    pub name: Option<String>,
    #[serde(default)]
    pub restart: Restart,
    pub timeout: Option<u64>,
    pub limit: Option<String>,
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub check: bool,
}

/// Per-host counters in the seed's shape, from the job_events callback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HostStats {
    pub ok: u64,
    pub changed: u64,
    pub failures: u64,
    pub unreachable: u64,
    pub skipped: u64,
    pub rescued: u64,
    pub ignored: u64,
}

pub type Stats = BTreeMap<String, HostStats>;

/// A job as the store keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: JobId,
    /// Insertion order, for paging.
    pub seq: i64,
    pub spec: JobSpec,
    pub fingerprint: String,
    pub status: Status,
    pub reason: Option<Reason>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub worker: Option<String>,
    pub attempt: u32,
    pub cancel_requested: bool,
    pub rc: Option<i32>,
    pub stats: Option<Stats>,
    /// The kept tail of stdout+stderr, once the job ended.
    pub stdout: Option<String>,
}

/// How a run ended, as the worker reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finish {
    pub status: Status,
    pub reason: Option<Reason>,
    pub rc: Option<i32>,
    pub stats: Option<Stats>,
}
