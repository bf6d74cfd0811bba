// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The embedded store: one SQLite file in WAL mode. Writes go to one writer thread (group commit,
//! writer.rs), each in its own savepoint, so a name's check-then-insert, a take or a cancel is
//! atomic and no two writes interleave. Reads use a second connection on tokio's blocking pool.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use async_trait::async_trait;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;
use std::sync::mpsc;
use tokio::sync::oneshot;

use super::writer;

use super::{
    Cancel, Event, JobStore, JobStoreError, ListQuery, Lost, OutputSlice, Page, Result, Submitted,
};
use crate::fingerprint;
use crate::model::{Finish, Job, JobId, JobSpec, Reason, Restart, Stats, Status};
use crate::time::now_micros;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT,
    fp TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    worker TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    rc INTEGER,
    stats TEXT,
    pid INTEGER,
    pid_start INTEGER,
    out_total INTEGER NOT NULL DEFAULT 0,
    out_start INTEGER NOT NULL DEFAULT 0,
    stdout BLOB,
    error TEXT,
    dropped_events INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
CREATE INDEX IF NOT EXISTS jobs_name ON jobs(name, seq) WHERE name IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS output (
    job_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
";

const COLS: &str =
    "seq, id, fp, spec, status, reason, created_at, started_at, finished_at, worker, \
                    attempt, cancel_requested, rc, stats, error, dropped_events";

/// The embedded [`JobStore`]: the jobs of one service process, in one SQLite file.
pub struct SqliteStore {
    writes: mpsc::Sender<Box<dyn writer::Op>>,
    /// Reads use their own connection: WAL lets them run beside the writer and see only what
    /// was committed.
    reader: Arc<Mutex<Connection>>,
    stdout_cap: u64,
    /// The checkpoint thread runs while this lives.
    _alive: Arc<()>,
}

fn connect(path: &Path) -> Result<Connection> {
    // The jobs hold extra vars and output: only the service's user reads them (the WAL and shm
    // files SQLite adds take this file's mode).
    // Never through a symlink: another user's link would have this process create, or write
    // its jobs into, a file of their choosing.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)?;
    let conn = Connection::open(path)?;
    // WAL + NORMAL: a crash of this process loses nothing committed; a power cut may lose the
    // last transactions, never corrupt the file.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Room for every statement the store runs (about 30), so none is parsed twice.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteStore {
    /// Opens the database at `path`, created (mode 0600) with its tables if missing, and starts
    /// its writer and checkpoint threads, which end when the store is dropped. `stdout_cap` is
    /// how many bytes of each job's output are kept (at least 1). Running jobs left by a
    /// previous process stay `running` until [`JobStore::recover`].
    pub fn open(path: &Path, stdout_cap: u64) -> Result<Self> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA)?;
        add_missing_columns(&conn)?;
        // A checkpoint fsyncs the database file: in the writer it would stall every write queued
        // behind it, so the writer never checkpoints and a thread of its own does, beside it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = connect(path)?;
        let alive = Arc::new(());
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn({
                let alive = Arc::downgrade(&alive);
                move || checkpoints(checkpointer, alive)
            })?;
        let reader = connect(path)?;
        let cap = stdout_cap.max(1);
        let (writes, ops) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::run(conn, cap, ops))?;
        Ok(Self {
            writes,
            reader: Arc::new(Mutex::new(reader)),
            stdout_cap: cap,
            _alive: alive,
        })
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, u64) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.writes
            .send(Box::new(writer::Call { f, tx }))
            .map_err(|_| JobStoreError::Commit("the writer thread is gone".into()))?;
        rx.await
            .map_err(|_| JobStoreError::Commit("the writer thread dropped a write".into()))?
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, u64) -> Result<T> + Send + 'static,
    {
        let conn = self.reader.clone();
        let cap = self.stdout_cap;
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard, cap)
        })
        .await
        .map_err(|e| JobStoreError::Join(e.to_string()))?
    }
}

/// A file made by an older version lacks the columns added since: `CREATE TABLE IF NOT EXISTS`
/// leaves its table as it was.
fn add_missing_columns(conn: &Connection) -> Result<()> {
    let mut have = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('jobs')")?;
        for name in stmt.query_map([], |r| r.get::<_, String>(0))? {
            have.push(name?);
        }
    }
    for (column, decl) in [
        ("error", "error TEXT"),
        (
            "dropped_events",
            "dropped_events INTEGER NOT NULL DEFAULT 0",
        ),
    ] {
        if !have.iter().any(|h| h == column) {
            conn.execute_batch(&format!("ALTER TABLE jobs ADD COLUMN {decl}"))?;
        }
    }
    Ok(())
}

/// PASSIVE: copies what no reader needs any more, never waits for or blocks the writer. A
/// checkpoint that fails (busy) is retried at the next tick. Ends with the store.
fn checkpoints(conn: Connection, alive: Weak<()>) {
    while alive.upgrade().is_some() {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

/// A row that does not parse: its `seq` (enough to end it), why, and what can be shown of it
/// (`None` when not even its id parses).
struct Damaged {
    seq: i64,
    why: String,
    shown: Option<Job>,
}

/// Column `i` as text, or `None` for NULL. Read as a `ValueRef`: a value of another SQLite type
/// or text that is not UTF-8 is a reason the row is damaged, never a rusqlite error that would
/// fail the whole call (and with it the take loop, the list, a name's submissions).
fn text(row: &Row, i: usize, what: &str) -> std::result::Result<Option<String>, String> {
    match row
        .get_ref(i)
        .map_err(|e| format!("its {what} cannot be read: {e}"))?
    {
        ValueRef::Null => Ok(None),
        ValueRef::Text(b) => std::str::from_utf8(b)
            .map(|s| Some(s.to_string()))
            .map_err(|e| format!("its {what} is not UTF-8: {e}")),
        other => Err(format!("its {what} is {:?}, not text", other.data_type())),
    }
}

/// Column `i` as an integer, or `None` for NULL; see [`text`].
fn int(row: &Row, i: usize, what: &str) -> std::result::Result<Option<i64>, String> {
    match row
        .get_ref(i)
        .map_err(|e| format!("its {what} cannot be read: {e}"))?
    {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(n) => Ok(Some(n)),
        other => Err(format!(
            "its {what} is {:?}, not an integer",
            other.data_type()
        )),
    }
}

fn required<T>(v: Option<T>, what: &str) -> std::result::Result<T, String> {
    v.ok_or_else(|| format!("its {what} is NULL"))
}

/// The row's job id, when it is there and parses.
fn row_id(row: &Row) -> std::result::Result<JobId, String> {
    row_id_at(row, 1)
}

fn row_id_at(row: &Row, i: usize) -> std::result::Result<JobId, String> {
    let id = required(text(row, i, "id")?, "id")?;
    id.parse::<JobId>()
        .map_err(|e| format!("id {id:?} does not parse: {e}"))
}

fn job_from_row(row: &Row) -> rusqlite::Result<std::result::Result<Job, Damaged>> {
    // `seq` is the rowid (INTEGER PRIMARY KEY): SQLite stores nothing else there.
    let seq: i64 = row.get(0)?;
    let parsed = (|| -> std::result::Result<Job, String> {
        let id = row_id(row)?;
        let spec = required(text(row, 3, "spec")?, "spec")?;
        let spec: JobSpec =
            serde_json::from_str(&spec).map_err(|e| format!("its spec does not parse: {e}"))?;
        let status = required(text(row, 4, "status")?, "status")?;
        let status =
            Status::parse(&status).ok_or_else(|| format!("its status {status:?} is unknown"))?;
        let reason = match text(row, 5, "reason")? {
            Some(r) => {
                Some(Reason::parse(&r).ok_or_else(|| format!("its reason {r:?} is unknown"))?)
            }
            None => None,
        };
        let stats: Option<Stats> = match text(row, 13, "stats")? {
            Some(s) => {
                Some(serde_json::from_str(&s).map_err(|e| format!("its stats do not parse: {e}"))?)
            }
            None => None,
        };
        let small = |i: usize, what: &str| -> std::result::Result<Option<i32>, String> {
            int(row, i, what)?
                .map(|n| i32::try_from(n).map_err(|_| format!("its {what} {n} is out of range")))
                .transpose()
        };
        Ok(Job {
            id,
            seq,
            fingerprint: required(text(row, 2, "fingerprint")?, "fingerprint")?,
            spec,
            status,
            reason,
            created_at: required(int(row, 6, "created_at")?, "created_at")?,
            started_at: int(row, 7, "started_at")?,
            finished_at: int(row, 8, "finished_at")?,
            worker: text(row, 9, "worker")?,
            attempt: u32::try_from(int(row, 10, "attempt")?.unwrap_or(0))
                .map_err(|_| "its attempt is out of range".to_string())?,
            cancel_requested: int(row, 11, "cancel_requested")?.unwrap_or(0) != 0,
            rc: small(12, "rc")?,
            stats,
            stdout: None,
            error: text(row, 14, "error")?,
            dropped_events: u64::try_from(int(row, 15, "dropped_events")?.unwrap_or(0))
                .unwrap_or(0),
        })
    })();
    match parsed {
        Ok(job) => Ok(Ok(job)),
        Err(why) => {
            let why = format!("the stored job does not parse: {why}");
            // What is shown keeps the times that still read; an unreadable creation time shows
            // as 0 (the epoch), which no real job has.
            let shown = row_id(row).ok().map(|id| {
                let created_at = int(row, 6, "created_at").ok().flatten().unwrap_or(0);
                let mut job = Job::corrupt(id, seq, created_at, &why);
                job.finished_at = int(row, 8, "finished_at").ok().flatten();
                job
            });
            Ok(Err(Damaged { seq, why, shown }))
        }
    }
}

/// `execute` through the connection's statement cache: the same few statements run for every
/// job, and each was parsed again on every call.
fn exec(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(p)
}

/// `query_row` through the statement cache; see [`exec`].
fn cached_row<T>(
    conn: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(p, f)
}

/// A damaged row is shown as its corrupt stand-in; one whose id does not parse cannot be.
fn one(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Option<Job>> {
    match cached_row(conn, sql, p, job_from_row).optional()? {
        None => Ok(None),
        Some(Ok(job)) => Ok(Some(job)),
        Some(Err(Damaged {
            shown: Some(job), ..
        })) => Ok(Some(job)),
        Some(Err(Damaged { seq, why, .. })) => {
            Err(JobStoreError::Corrupt(format!("job #{seq}: {why}")))
        }
    }
}

/// Ends a damaged row: `failed`, reason `corrupt`, `why` as its error, so that no take gets
/// it again and the queue goes on.
fn end_corrupt(conn: &Connection, seq: i64, why: &str) -> Result<()> {
    exec(
        conn,
        "UPDATE jobs SET status = 'failed', reason = 'corrupt', error = ?2, finished_at = ?3, \
         stdout = x'', out_start = out_total WHERE seq = ?1",
        params![seq, crate::model::error_text(why), now_micros()],
    )?;
    exec(
        conn,
        "DELETE FROM output WHERE job_id = (SELECT id FROM jobs WHERE seq = ?1)",
        [seq],
    )?;
    Ok(())
}

fn get_job(conn: &Connection, id: &str) -> Result<Option<Job>> {
    let sql = format!("SELECT {COLS} FROM jobs WHERE id = ?1");
    one(conn, &sql, [id])
}

fn with_stdout(conn: &Connection, mut job: Job) -> Result<Job> {
    if job.status.is_final() {
        // Blob as written, or text in a row damaged by hand: either shows; nothing else does.
        let bytes: Vec<u8> = cached_row(
            conn,
            "SELECT stdout FROM jobs WHERE seq = ?1",
            [job.seq],
            |r| {
                Ok(match r.get_ref(0)? {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
                    _ => Vec::new(),
                })
            },
        )?;
        job.stdout = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(job)
}

fn insert(conn: &Connection, spec: &JobSpec) -> Result<Job> {
    let id = JobId::new();
    let fp = fingerprint::of(spec);
    let spec_json =
        serde_json::to_string(spec).map_err(|e| JobStoreError::Corrupt(e.to_string()))?;
    let now = now_micros();
    exec(conn,
        "INSERT INTO jobs (id, name, fp, spec, status, created_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        params![id.to_string(), spec.name, fp, spec_json, now],
    )?;
    get_job(conn, &id.to_string())?.ok_or_else(|| JobStoreError::Corrupt(format!("{id} vanished")))
}

/// Moves what is left of a run's output into the job row: the last `cap` bytes.
fn seal_output(conn: &Connection, id: &str, cap: u64) -> Result<()> {
    let total: i64 = cached_row(
        conn,
        "SELECT out_total FROM jobs WHERE id = ?1",
        [id],
        |r| r.get(0),
    )?;
    let total = u64::try_from(total).unwrap_or(0);
    let keep_from = total.saturating_sub(cap);
    let mut stmt =
        conn.prepare_cached("SELECT start, data FROM output WHERE job_id = ?1 ORDER BY start")?;
    let mut tail = Vec::new();
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for row in rows {
        let (start, data) = row?;
        let start = u64::try_from(start).unwrap_or(0);
        let end = start + data.len() as u64;
        if end <= keep_from {
            continue;
        }
        let skip = usize::try_from(keep_from.saturating_sub(start)).unwrap_or(0);
        tail.extend_from_slice(&data[skip.min(data.len())..]);
    }
    let out_start = total - tail.len() as u64;
    exec(
        conn,
        "UPDATE jobs SET stdout = ?2, out_start = ?3 WHERE id = ?1",
        params![id, tail, out_start as i64],
    )?;
    exec(conn, "DELETE FROM output WHERE job_id = ?1", [id])?;
    Ok(())
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn submit(&self, spec: JobSpec) -> Result<Submitted> {
        self.write(move |conn, _| {
            let out = 'decided: {
                if let Some(name) = &spec.name {
                    let sql = format!(
                        "SELECT {COLS} FROM jobs WHERE name = ?1 ORDER BY seq DESC LIMIT 1"
                    );
                    let holder = match cached_row(conn, &sql, [name], job_from_row).optional()? {
                        None => None,
                        Some(Ok(job)) => Some(job),
                        // A damaged holder is ended here, in the same step, so that it holds
                        // its name no longer than an ended job does (restart decides, purge
                        // removes it); without an id it cannot be shown, and the name is free.
                        Some(Err(Damaged { seq, why, shown })) => {
                            end_corrupt(conn, seq, &why)?;
                            shown.map(|mut job| {
                                job.finished_at = job.finished_at.or(Some(now_micros()));
                                job
                            })
                        }
                    };
                    if let Some(holder) = holder {
                        if holder.status.is_live() {
                            break 'decided if holder.fingerprint == fingerprint::of(&spec) {
                                Submitted::Attached(holder)
                            } else {
                                Submitted::Conflict(holder)
                            };
                        }
                        let again = match spec.restart {
                            Restart::Never => false,
                            Restart::OnFailure => holder.status != Status::Successful,
                            Restart::Always => true,
                        };
                        if !again {
                            break 'decided Submitted::Attached(with_stdout(conn, holder)?);
                        }
                    }
                }
                Submitted::Created(insert(conn, &spec)?)
            };
            Ok(out)
        })
        .await
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        self.read(move |conn, _| match get_job(conn, &id.to_string())? {
            Some(job) => Ok(Some(with_stdout(conn, job)?)),
            None => Ok(None),
        })
        .await
    }

    async fn list(&self, q: ListQuery) -> Result<Page> {
        self.read(move |conn, _| {
            let limit = i64::from(q.limit.clamp(1, 500));
            let sql = format!(
                "SELECT {COLS} FROM jobs WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR name = ?2) \
                 AND (?3 IS NULL OR seq < ?3) ORDER BY seq DESC LIMIT ?4"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![q.status.map(Status::as_str), q.name, q.cursor, limit + 1],
                job_from_row,
            )?;
            // Without an id a damaged row has nothing to link to: it is left out of the page,
            // which still pages on past it. Its stand-in (failed/corrupt) is shown only when
            // that status is the one asked for, as the Redis store does.
            let mut seen: Vec<(i64, Option<Job>)> = Vec::new();
            for row in rows {
                seen.push(match row? {
                    Ok(job) => (job.seq, Some(job)),
                    Err(Damaged { seq, shown, .. }) => (
                        seq,
                        shown.filter(|j| q.status.is_none_or(|s| s == j.status)),
                    ),
                });
            }
            let next_cursor = if seen.len() as i64 > limit {
                seen.truncate(limit as usize);
                seen.last().map(|(seq, _)| *seq)
            } else {
                None
            };
            let jobs = seen.into_iter().filter_map(|(_, job)| job).collect();
            Ok(Page { jobs, next_cursor })
        })
        .await
    }

    async fn take(&self, worker: &str) -> Result<Option<Job>> {
        let worker = worker.to_string();
        self.write(move |conn, _| {
            let sql = format!(
                "UPDATE jobs SET status = 'running', started_at = ?1, worker = ?2, attempt = attempt + 1 \
                 WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' ORDER BY seq LIMIT 1) \
                 RETURNING {COLS}"
            );
            // A pending job that does not parse can never run: it ends `corrupt` here, in the
            // same step, and the next one is taken (else it would be taken again forever).
            loop {
                // Cached: parsing this statement cost ~160k instructions, a tenth of a drained
                // job's share of the service (docs/performance.md).
                match cached_row(conn, &sql, params![now_micros(), worker], job_from_row)
                    .optional()?
                {
                    None => return Ok(None),
                    Some(Ok(job)) => return Ok(Some(job)),
                    Some(Err(Damaged { seq, why, .. })) => end_corrupt(conn, seq, &why)?,
                }
            }
        })
        .await
    }

    async fn set_pid(&self, id: JobId, pid: u32, start_time: u64) -> Result<()> {
        self.write(move |conn, _| {
            exec(
                conn,
                "UPDATE jobs SET pid = ?2, pid_start = ?3 WHERE id = ?1",
                params![id.to_string(), pid, start_time as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn append_output(&self, id: JobId, chunk: Vec<u8>) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.write(move |conn, cap| {
            let id = id.to_string();
            let total: Option<i64> = cached_row(
                conn,
                "SELECT out_total FROM jobs WHERE id = ?1 AND status = 'running'",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
            let Some(total) = total else {
                return Ok(());
            };
            let end = total + chunk.len() as i64;
            exec(
                conn,
                "INSERT INTO output (job_id, start, data) VALUES (?1, ?2, ?3)",
                params![id, total, chunk],
            )?;
            exec(
                conn,
                "UPDATE jobs SET out_total = ?2 WHERE id = ?1",
                params![id, end],
            )?;
            // Keep the tail: chunks wholly before the last `cap` bytes go.
            exec(
                conn,
                "DELETE FROM output WHERE job_id = ?1 AND start + length(data) <= ?2",
                params![id, end - cap as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn output(&self, id: JobId, offset: u64, max: usize) -> Result<Option<OutputSlice>> {
        self.read(move |conn, _| {
            let id = id.to_string();
            let row: Option<(String, i64, i64, Option<Vec<u8>>)> = cached_row(conn,
                    "SELECT status, out_total, out_start, stdout FROM jobs WHERE id = ?1",
                    [&id],
                    // Read leniently: a damaged row shows what can be read (its stand-in
                    // is failed/corrupt with no output) instead of failing the call.
                    |r| {
                        let sealed = match r.get_ref(3)? {
                            ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.to_vec()),
                            _ => None,
                        };
                        Ok((
                            text(r, 0, "status").ok().flatten().unwrap_or_default(),
                            int(r, 1, "out_total").ok().flatten().unwrap_or(0).max(0),
                            int(r, 2, "out_start").ok().flatten().unwrap_or(0).max(0),
                            sealed,
                        ))
                    },
                )
                .optional()?;
            let Some((status, total, out_start, sealed)) = row else {
                return Ok(None);
            };
            let total = total as u64;
            let from = offset.min(total);
            let mut data = Vec::new();
            let mut start = from;
            if Status::parse(&status).is_some_and(Status::is_final) {
                let sealed = sealed.unwrap_or_default();
                let out_start = out_start as u64;
                start = from.max(out_start);
                let skip = (start - out_start) as usize;
                let end = (skip + max).min(sealed.len());
                data.extend_from_slice(&sealed[skip.min(end)..end]);
            } else {
                let mut stmt = conn.prepare_cached(
                    "SELECT start, data FROM output WHERE job_id = ?1 AND start + length(data) > ?2 ORDER BY start",
                )?;
                let rows = stmt.query_map(params![id, from as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?;
                let mut first = true;
                for row in rows {
                    let (chunk_start, chunk) = row?;
                    let chunk_start = chunk_start as u64;
                    if first {
                        start = from.max(chunk_start);
                        first = false;
                    }
                    let skip = start.saturating_sub(chunk_start) as usize;
                    let piece = if data.is_empty() { &chunk[skip.min(chunk.len())..] } else { &chunk[..] };
                    let room = max - data.len();
                    data.extend_from_slice(&piece[..piece.len().min(room)]);
                    if data.len() >= max {
                        break;
                    }
                }
            }
            let next = start + data.len() as u64;
            Ok(Some(OutputSlice { start, data, next }))
        })
        .await
    }

    async fn append_events(&self, id: JobId, events: Vec<Value>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.write(move |conn, _| {
            let id = id.to_string();
            let last: i64 = cached_row(
                conn,
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE job_id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            {
                let mut stmt = conn
                    .prepare_cached("INSERT INTO events (job_id, seq, data) VALUES (?1, ?2, ?3)")?;
                for (i, ev) in events.iter().enumerate() {
                    stmt.execute(params![id, last + 1 + i as i64, ev.to_string()])?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn events(&self, id: JobId, after: i64, limit: usize) -> Result<Vec<Event>> {
        self.read(move |conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, data FROM events WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![id.to_string(), after, limit], |r| {
                // Data that is not text reads as "" and is skipped like any non-JSON item.
                Ok((
                    r.get::<_, i64>(0)?,
                    text(r, 1, "data").ok().flatten().unwrap_or_default(),
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, data) = row?;
                out.extend(super::event(id, seq, &data));
            }
            Ok(out)
        })
        .await
    }

    async fn finish(&self, id: JobId, finish: Finish) -> Result<Option<Job>> {
        self.write(move |conn, cap| {
            let id = id.to_string();
            let stats = match &finish.stats {
                Some(s) => Some(
                    serde_json::to_string(s).map_err(|e| JobStoreError::Corrupt(e.to_string()))?,
                ),
                None => None,
            };
            let n = exec(
                conn,
                "UPDATE jobs SET status = ?2, reason = ?3, rc = ?4, stats = ?5, finished_at = ?6, \
                 error = ?7, dropped_events = ?8 WHERE id = ?1 AND status = 'running'",
                params![
                    id,
                    finish.status.as_str(),
                    finish.reason.map(Reason::as_str),
                    finish.rc,
                    stats,
                    now_micros(),
                    finish.error.as_deref().map(crate::model::error_text),
                    i64::try_from(finish.dropped_events).unwrap_or(i64::MAX)
                ],
            )?;
            if n == 0 {
                return Ok(None);
            }
            seal_output(conn, &id, cap)?;
            let job = get_job(conn, &id)?;
            let job = match job {
                Some(j) => Some(with_stdout(conn, j)?),
                None => None,
            };
            Ok(job)
        })
        .await
    }

    async fn cancel(&self, id: JobId) -> Result<Cancel> {
        self.write(move |conn, _| {
            let id = id.to_string();
            let Some(job) = get_job(conn, &id)? else {
                return Ok(Cancel::NotFound);
            };
            let out = match job.status {
                Status::Pending => {
                    exec(
                        conn,
                        "UPDATE jobs SET status = 'canceled', finished_at = ?2, \
                         error = 'canceled while pending' WHERE id = ?1",
                        params![id, now_micros()],
                    )?;
                    Cancel::Canceled(with_stdout(conn, get_job(conn, &id)?.unwrap_or(job))?)
                }
                Status::Running => {
                    exec(
                        conn,
                        "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1",
                        [&id],
                    )?;
                    Cancel::Requested(get_job(conn, &id)?.unwrap_or(job))
                }
                _ => Cancel::Ended(with_stdout(conn, job)?),
            };
            Ok(out)
        })
        .await
    }

    async fn recover(&self) -> Result<Vec<Lost>> {
        self.write(move |conn, cap| {
            let mut lost = Vec::new();
            // Running rows whose id does not read: nothing to report or kill by, but they must
            // not stop the start; they end failed/corrupt.
            let mut damaged = Vec::new();
            {
                let mut stmt = conn.prepare("SELECT seq, id, pid, pid_start FROM jobs WHERE status = 'running'")?;
                let rows = stmt.query_map([], |r| {
                    let seq: i64 = r.get(0)?;
                    let id = row_id_at(r, 1);
                    let pid = int(r, 2, "pid").ok().flatten().and_then(|p| u32::try_from(p).ok());
                    let start = int(r, 3, "pid_start").ok().flatten().and_then(|s| u64::try_from(s).ok());
                    Ok((seq, id, pid.zip(start)))
                })?;
                for row in rows {
                    match row? {
                        (_, Ok(id), pid) => lost.push(Lost { id, pid }),
                        (seq, Err(why), _) => damaged.push((seq, format!("the stored job does not parse: {why}"))),
                    }
                }
            }
            for (seq, why) in &damaged {
                end_corrupt(conn, *seq, why)?;
            }
            for l in &lost {
                let id = l.id.to_string();
                exec(conn,
                    "UPDATE jobs SET status = 'failed', reason = 'lost', finished_at = ?2, \
                     error = 'the service stopped while it ran on worker ' || COALESCE(worker, '?') \
                     || '; the run was ended at the next start' WHERE id = ?1",
                    params![id, now_micros()],
                )?;
                seal_output(conn, &id, cap)?;
            }
            Ok(lost)
        })
        .await
    }

    async fn purge(&self, ended_before: i64) -> Result<u64> {
        self.write(move |conn, _| {
            exec(
                conn,
                "DELETE FROM events WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < ?1)",
                [ended_before],
            )?;
            exec(
                conn,
                "DELETE FROM output WHERE job_id IN (SELECT id FROM jobs WHERE finished_at < ?1)",
                [ended_before],
            )?;
            let n = exec(
                conn,
                "DELETE FROM jobs WHERE finished_at < ?1",
                [ended_before],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn counts(&self) -> Result<Vec<(Status, u64)>> {
        self.read(move |conn, _| {
            let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM jobs GROUP BY status")?;
            // A status that does not read as text (a damaged row) matches no slot, as an
            // unknown one does.
            let rows = stmt.query_map([], |r| {
                Ok((text(r, 0, "status").ok().flatten(), r.get::<_, i64>(1)?))
            })?;
            let mut out: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
            for row in rows {
                let (s, n) = row?;
                if let Some(slot) = out
                    .iter_mut()
                    .find(|(st, _)| Some(st.as_str()) == s.as_deref())
                {
                    slot.1 = n as u64;
                }
            }
            Ok(out)
        })
        .await
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
