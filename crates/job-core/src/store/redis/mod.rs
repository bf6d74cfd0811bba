// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The Redis store: jobs, queue, leases and names in one Redis, shared by API processes and
//! workers on many machines. Every change of more than one key is one Lua script (lua/), so
//! each check-then-act is atomic; the layout and the failure cases are in docs/design.md.
//!
//! One multiplexed connection (a `ConnectionManager`, which reconnects by itself) carries every
//! call but the blocking `BLMOVE` of a worker, which holds a connection of its own.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Value};
use serde_json::Value as Json;

use super::{
    Beat, Cancel, ChangeFn, Event, Health, JobStore, JobStoreError, ListQuery, Lost, OutputSlice,
    Page, Result, Submitted,
};
use crate::fingerprint;
use crate::model::{Finish, Job, JobId, JobSpec, Reason, Restart, Status};

mod reply;
mod safety;
mod scripts;
#[cfg(test)]
mod tests;

pub use safety::{Settings, Verdict};
use scripts::Scripts;

const P: &str = "{ajs}:";

/// This process's settings for the Redis store.
#[derive(Clone, Copy, Debug)]
pub struct RedisOptions {
    /// How long a worker may go silent before its running jobs are lost.
    pub lease: Duration,
    /// Written into each job this process submits: how long it is kept once it ended.
    pub ttl: Duration,
    /// Written into each job this process submits: stdout bytes kept.
    pub stdout_cap: u64,
    /// How long one `take` waits for a job.
    pub block: Duration,
    /// Accept a Redis that keeps nothing on disk (`--redis-volatile`); eviction is never
    /// accepted.
    pub volatile_ok: bool,
}

/// The shared [`JobStore`]: one Redis for every API process and worker.
pub struct RedisStore {
    client: Client,
    conn: ConnectionManager,
    scripts: Scripts,
    opts: RedisOptions,
    /// A worker's blocking connection, by worker name; dropped on error, made again next time.
    takers: Mutex<HashMap<String, MultiplexedConnection>>,
    /// Why the store refuses work now (Redis set up so that it can lose data), from the last
    /// [`RedisStore::check`]; `None` while it may work.
    refused: Mutex<Option<String>>,
    /// The epoch key as this process last read it: when it vanishes or changes, Redis lost data.
    epoch: Mutex<Option<String>>,
    /// The jobs this process took and has not recorded the end of: what it can write again,
    /// failed/lost, when Redis loses them.
    inflight: Mutex<HashMap<JobId, Inflight>>,
}

/// A job of [`RedisStore::inflight`].
struct Inflight {
    job: Job,
    /// When a finish of it first failed. Its worker retries for a while, then gives up; from
    /// then on the job's record ends by the reaper and is purged a TTL later. Past that TTL
    /// the entry is dropped: written back after a loss, it would bring back a job (and take
    /// its name) that had long been purged.
    failing_since: Option<std::time::Instant>,
}

/// Whether a call may be sent once more after it failed on the connection.
#[derive(Clone, Copy, PartialEq)]
enum Again {
    /// Only when it cannot have reached Redis (the connection could not be made): a script
    /// whose reply was lost may have run, and running it twice could run a job twice.
    IfUnsent,
    /// Reads, and writes that leave the same state when they run twice.
    Idempotent,
}

/// Whether a failed call may go out again. After a Redis restart the `ConnectionManager`
/// reconnects in the background at once, while Redis is still down; that attempt fails and its
/// error stays cached until the next call, which gets it (a refusal), starts a new connection
/// and fails without sending anything. That call is the one to send again.
fn resendable(e: &redis::RedisError, again: Again) -> bool {
    e.is_connection_refusal()
        || (again == Again::Idempotent
            && (e.is_io_error() || e.is_connection_dropped() || e.is_timeout()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What [`RedisStore::check`] found.
#[derive(Debug, Default)]
pub struct Check {
    /// The settings' verdict: while it has refusals, the store answers
    /// [`JobStoreError::Unsafe`] to the API's calls and to takes.
    pub verdict: Verdict,
    /// Redis lost data since this process last looked (why, for the log); the jobs this process
    /// was running have been written again as failed/lost.
    pub data_lost: Option<String>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RedisStore {
    /// Connects and checks that this is a Redis with scripting (`PING`, then a script) before
    /// anything starts.
    pub async fn connect(url: &str, opts: RedisOptions) -> Result<Self> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let mut conn = client.get_connection_manager_with_config(config).await?;
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        let store = Self {
            client,
            conn,
            scripts: Scripts::new(),
            opts,
            takers: Mutex::default(),
            refused: Mutex::default(),
            epoch: Mutex::default(),
            inflight: Mutex::default(),
        };
        store.scripts.load(&mut store.conn()).await?;
        Ok(store)
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// One call on the shared connection, sent once more on a new connection when
    /// [`resendable`] says it may.
    async fn call<T, F, Fut>(&self, again: Again, f: F) -> Result<T>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        match f(self.conn()).await {
            Err(e) if resendable(&e, again) => {
                tracing::info!(error = %e, "redis: the connection was stale; sending once more on a new one");
                Ok(f(self.conn()).await?)
            }
            r => Ok(r?),
        }
    }

    fn gate(&self) -> Result<()> {
        match &*lock(&self.refused) {
            Some(why) => Err(JobStoreError::Unsafe(why.clone())),
            None => Ok(()),
        }
    }

    /// The settings that decide whether this Redis can lose data: `CONFIG GET`, or `INFO` when
    /// this user may not (an ACL, a renamed command).
    pub async fn settings(&self) -> Result<Settings> {
        let config: redis::RedisResult<Vec<HashMap<String, String>>> = {
            let mut pipe = redis::pipe();
            for name in ["maxmemory", "maxmemory-policy", "appendonly", "save"] {
                pipe.cmd("CONFIG").arg("GET").arg(name);
            }
            pipe.query_async(&mut self.conn()).await
        };
        let config = match config {
            Ok(maps) => {
                let all: HashMap<String, String> = maps.into_iter().flatten().collect();
                if let Some(s) = Settings::from_config(&all) {
                    return Ok(s);
                }
                // A Redis-compatible server may leave a parameter out of its answer: INFO
                // may tell what it did not.
                tracing::debug!(answered = ?all.keys().collect::<Vec<_>>(), "CONFIG GET left settings out; reading INFO for them");
                all
            }
            Err(e) if e.is_io_error() || e.is_timeout() => return Err(e.into()),
            Err(e) => {
                tracing::debug!(error = %e, "CONFIG GET refused; reading INFO instead");
                HashMap::new()
            }
        };
        let texts: Vec<String> = self
            .call(Again::Idempotent, |mut c| async move {
                redis::pipe()
                    .cmd("INFO")
                    .arg("memory")
                    .cmd("INFO")
                    .arg("persistence")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Settings::from_config_and_info(&config, &texts.concat()).ok_or_else(|| {
            JobStoreError::Corrupt(
                "neither CONFIG GET nor INFO memory/persistence tells maxmemory, \
                 maxmemory-policy and appendonly: cannot tell whether this Redis can lose data"
                    .into(),
            )
        })
    }

    /// At start and at every interval: refuses work while Redis can lose data (or works again
    /// once it cannot), and finds a Redis that lost data since the last check.
    pub async fn check(&self, volatile_ok: bool) -> Result<Check> {
        let verdict = self.settings().await?.verdict(volatile_ok);
        *lock(&self.refused) = if verdict.refusals.is_empty() {
            None
        } else {
            Some(verdict.refusals.join("; "))
        };
        let data_lost = self.check_epoch().await?;
        Ok(Check { verdict, data_lost })
    }

    /// The epoch key holds a random value set once per store. Absent while this process had
    /// seen one, changed, or absent while jobs are there: Redis lost data (it came back empty
    /// from a restart without persistence, or lost keys). Then the jobs this process was running
    /// are written again as failed/lost and a new epoch is set.
    async fn check_epoch(&self) -> Result<Option<String>> {
        let seen = lock(&self.epoch).clone();
        let fresh = &JobId::new().to_string();
        // One script (epoch.lua): the epoch and the jobs it guards are read in one step.
        // Sent twice it answers `seen` the second time, with the value the first one set.
        let (found, now): (String, String) = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts.epoch.arg(fresh).invoke_async(&mut c).await
            })
            .await?;
        let why = epoch_verdict(&found, &now, seen.as_deref());
        *lock(&self.epoch) = Some(now);
        // Pruned at every check, loss or not, so a failed finish leaks nothing for long.
        let jobs: Vec<Job> = self.still_inflight();
        let Some(why) = why else {
            return Ok(None);
        };
        tracing::error!(
            running_here = jobs.len(),
            "Redis lost data: {why}. The jobs this process was running are recorded failed, \
             reason lost; queued jobs and those of other processes are gone (their ids answer 404)"
        );
        for job in &jobs {
            self.write_lost(job).await?;
        }
        Ok(Some(why.to_string()))
    }

    /// The jobs of [`RedisStore::inflight`] that may be written back after a loss; those whose
    /// finish failed more than a TTL ago are dropped (see [`Inflight::failing_since`]).
    fn still_inflight(&self) -> Vec<Job> {
        let ttl = self.opts.ttl;
        let mut inflight = lock(&self.inflight);
        inflight.retain(|_, i| i.failing_since.is_none_or(|t| t.elapsed() <= ttl));
        inflight.values().map(|i| i.job.clone()).collect()
    }

    /// Writes a job of this process whose record Redis lost back as failed/lost (lost.lua).
    async fn write_lost(&self, job: &Job) -> Result<()> {
        let spec =
            serde_json::to_string(&job.spec).map_err(|e| JobStoreError::Corrupt(e.to_string()))?;
        let (spec, id) = (&spec, job.id.to_string());
        let id = &id;
        let _: i64 = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts
                    .lost
                    .arg(id)
                    .arg(job.spec.name.as_deref().unwrap_or(""))
                    .arg(&job.fingerprint)
                    .arg(spec)
                    .arg(job.created_at)
                    .arg(job.started_at.unwrap_or(job.created_at))
                    .arg(job.worker.as_deref().unwrap_or(""))
                    .arg(job.attempt)
                    .arg(self.opts.ttl.as_secs())
                    .arg(self.opts.stdout_cap.max(1))
                    .arg(
                        "ansible-job-service: Redis lost this job's record while it ran; its run \
                         was stopped (failed, reason lost)\n",
                    )
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn taker(&self, worker: &str) -> Result<MultiplexedConnection> {
        if let Some(c) = self.takers_map().get(worker) {
            return Ok(c.clone());
        }
        // Above the block time: redis-rs times a request out after 500 ms by default.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(self.opts.block + Duration::from_secs(5)));
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        self.takers_map().insert(worker.to_string(), c.clone());
        Ok(c)
    }

    fn takers_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, MultiplexedConnection>> {
        self.takers.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn pop_queue(&self, worker: &str) -> Result<Option<String>> {
        let mut c = self.taker(worker).await?;
        let moved: redis::RedisResult<Option<String>> = redis::cmd("BLMOVE")
            .arg(format!("{P}q"))
            .arg(format!("{P}w:{worker}"))
            .arg("RIGHT")
            .arg("LEFT")
            .arg(self.opts.block.as_secs_f64())
            .query_async(&mut c)
            .await;
        if moved.is_err() {
            self.takers_map().remove(worker);
        }
        Ok(moved?)
    }
}

/// What epoch.lua answered (`found`, the epoch `now`), against the epoch this process had
/// `seen`: why Redis lost data, or `None`.
fn epoch_verdict(found: &str, now: &str, seen: Option<&str>) -> Option<&'static str> {
    match (found, seen) {
        ("seen", Some(s)) if s == now => None,
        ("seen", Some(_)) => {
            Some("the store's epoch changed: another process found that Redis had lost its data")
        }
        ("seen" | "set", None) => None,
        ("set", Some(_)) => {
            Some("the store's epoch key vanished: Redis came back empty, or lost keys")
        }
        _ => Some(
            "the store holds jobs but no epoch key: Redis lost keys (or the jobs were written \
             by a version before 1.2, which set none)",
        ),
    }
}

fn kind_and_job(v: &Value) -> Result<(String, Option<Job>)> {
    let parts = reply::items(v);
    let kind = parts.first().and_then(reply::text).unwrap_or_default();
    let job = match parts.get(1) {
        Some(view) => reply::job(view)?,
        None => None,
    };
    Ok((kind, job))
}

fn vanished(what: &str) -> JobStoreError {
    JobStoreError::Corrupt(format!("{what}: the job vanished in the same step"))
}

#[async_trait]
impl JobStore for RedisStore {
    async fn submit(&self, spec: JobSpec) -> Result<Submitted> {
        self.gate()?;
        let id = JobId::new();
        let spec_json =
            serde_json::to_string(&spec).map_err(|e| JobStoreError::Corrupt(e.to_string()))?;
        let restart = match spec.restart {
            Restart::Never => "never",
            Restart::OnFailure => "on_failure",
            Restart::Always => "always",
        };
        let (id, fp, spec_json) = (&id.to_string(), &fingerprint::of(&spec), &spec_json);
        let name = spec.name.as_deref().unwrap_or("");
        // Safe to send twice: the id is made here, and submit.lua creates nothing for an id
        // that exists.
        let v: Value = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts
                    .submit
                    .arg(id)
                    .arg(name)
                    .arg(fp)
                    .arg(spec_json)
                    .arg(restart)
                    .arg(self.opts.ttl.as_secs())
                    .arg(self.opts.stdout_cap.max(1))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let (kind, job) = kind_and_job(&v)?;
        let job = job.ok_or_else(|| vanished("submit"))?;
        Ok(match kind.as_str() {
            "created" => Submitted::Created(job),
            "conflict" => Submitted::Conflict(job),
            _ => Submitted::Attached(job),
        })
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        self.gate()?;
        let (hash, out): (Value, Value) = self
            .call(Again::Idempotent, |mut c| async move {
                redis::pipe()
                    .atomic()
                    .cmd("HGETALL")
                    .arg(format!("{P}job:{id}"))
                    .cmd("GET")
                    .arg(format!("{P}out:{id}"))
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let stdout = reply::bytes(&out).map(|b| String::from_utf8_lossy(b).into_owned());
        reply::from_hash(&hash, stdout)
    }

    async fn list(&self, q: ListQuery) -> Result<Page> {
        self.gate()?;
        let limit = q.limit.clamp(1, 500) as usize;
        let key = match (&q.name, q.status) {
            (Some(name), _) => format!("{P}named:{name}"),
            (None, Some(st)) => format!("{P}status:{}", st.as_str()),
            (None, None) => format!("{P}jobs"),
        };
        let mut jobs = Vec::new();
        let mut max = q.cursor.map_or("+inf".to_string(), |c| format!("({c}"));
        // Filters on top of the index (a status within a name) and expired jobs mean a page may
        // need more than one batch.
        'pages: loop {
            let (key, from) = (&key, &max);
            let ids: Vec<String> = self
                .call(Again::Idempotent, |mut c| async move {
                    redis::cmd("ZREVRANGEBYSCORE")
                        .arg(key)
                        .arg(from)
                        .arg("-inf")
                        .arg("WITHSCORES")
                        .arg("LIMIT")
                        .arg(0)
                        .arg(limit + 1)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            if ids.is_empty() {
                break;
            }
            let pairs: Vec<(String, String)> = ids
                .chunks(2)
                .filter_map(|p| match p {
                    [id, score] => Some((id.clone(), score.clone())),
                    _ => None,
                })
                .collect();
            let mut pipe = redis::pipe();
            for (id, _) in &pairs {
                pipe.cmd("HGETALL").arg(format!("{P}job:{id}"));
            }
            let pipe = &pipe;
            let hashes: Vec<Value> = self
                .call(Again::Idempotent, |mut c| async move {
                    pipe.query_async(&mut c).await
                })
                .await?;
            for ((id, score), hash) in pairs.iter().zip(hashes.iter()) {
                max = format!("({score}");
                // One hash without a usable id must not make the whole list fail: it is left
                // out, and the page goes on past it.
                let Ok(shown) = reply::from_hash(hash, None) else {
                    continue;
                };
                match shown {
                    Some(mut job) if q.status.is_none_or(|s| s == job.status) => {
                        job.stdout = None;
                        jobs.push(job);
                        if jobs.len() > limit {
                            break 'pages;
                        }
                    }
                    Some(_) => {}
                    None => {
                        // Expired: its index entry goes too.
                        let _: redis::RedisResult<i64> = redis::cmd("ZREM")
                            .arg(key)
                            .arg(id)
                            .query_async(&mut self.conn())
                            .await;
                    }
                }
            }
            if pairs.len() <= limit {
                break;
            }
        }
        let next_cursor = if jobs.len() > limit {
            jobs.truncate(limit);
            jobs.last().map(|j| j.seq)
        } else {
            None
        };
        Ok(Page { jobs, next_cursor })
    }

    async fn take(&self, worker: &str) -> Result<Option<Job>> {
        self.gate()?;
        let _: i64 = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts
                    .touch
                    .arg(worker)
                    .arg(ms(self.opts.lease))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let Some(id) = self.pop_queue(worker).await? else {
            return Ok(None);
        };
        let id = &id;
        let v: Value = self
            .call(Again::IfUnsent, |mut c| async move {
                self.scripts
                    .start
                    .arg(id)
                    .arg(worker)
                    .arg(ms(self.opts.lease))
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        match reply::job_or_damaged(&v)? {
            // A job that does not parse can never run: it ends `corrupt` at once instead of
            // waiting for its lease to run out, and the worker takes again.
            Some(Err(damaged)) => {
                tracing::error!(job = %damaged.shown.id, "a pending job does not parse: ended failed, reason corrupt ({})", damaged.why);
                let end = Finish::failed(Reason::Corrupt, damaged.why);
                self.finish(damaged.shown.id, end).await?;
                Ok(None)
            }
            Some(Ok(job)) => {
                lock(&self.inflight).insert(
                    job.id,
                    Inflight {
                        job: job.clone(),
                        failing_since: None,
                    },
                );
                Ok(Some(job))
            }
            None => Ok(None),
        }
    }

    async fn set_pid(&self, id: JobId, pid: u32, start_time: u64) -> Result<()> {
        let id = &id.to_string();
        let _: i64 = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts
                    .set_pid
                    .arg(id)
                    .arg(pid)
                    .arg(start_time)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn append_output(&self, id: JobId, chunk: Vec<u8>) -> Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        let (id, chunk) = (&id.to_string(), &chunk);
        let _: i64 = self
            .call(Again::IfUnsent, |mut c| async move {
                self.scripts
                    .append
                    .arg(id)
                    .arg(chunk)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn output(&self, id: JobId, offset: u64, max: usize) -> Result<Option<OutputSlice>> {
        self.gate()?;
        let id_s = &id.to_string();
        let v: Value = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts
                    .output
                    .arg(id_s)
                    .arg(offset)
                    .arg(max)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let parts = reply::items(&v);
        let (Some(start), Some(data)) = (parts.first(), parts.get(1)) else {
            return Ok(None);
        };
        let start: u64 = reply::text(start)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobStoreError::Corrupt(format!("job {id}: output offset")))?;
        let data = reply::bytes(data).unwrap_or_default().to_vec();
        let next = start + data.len() as u64;
        Ok(Some(OutputSlice { start, data, next }))
    }

    async fn append_events(&self, id: JobId, events: Vec<Json>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (id, events) = (&id.to_string(), &events);
        let _: i64 = self
            .call(Again::IfUnsent, |mut c| async move {
                let mut call = self.scripts.events.arg(id);
                for ev in events {
                    call.arg(ev.to_string());
                }
                call.invoke_async(&mut c).await
            })
            .await?;
        Ok(())
    }

    async fn events(&self, id: JobId, after: i64, limit: usize) -> Result<Vec<Event>> {
        self.gate()?;
        let after = after.max(0);
        // Saturating: `after` comes from the client and may be i64::MAX.
        let last = after
            .saturating_add(i64::try_from(limit).unwrap_or(i64::MAX))
            .saturating_sub(1);
        let items: Vec<String> = self
            .call(Again::Idempotent, |mut c| async move {
                redis::cmd("LRANGE")
                    .arg(format!("{P}ev:{id}"))
                    .arg(after)
                    .arg(last)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(items
            .into_iter()
            .zip(1i64..)
            .filter_map(|(data, i)| super::event(id, after.saturating_add(i), &data))
            .collect())
    }

    async fn finish(&self, id: JobId, finish: Finish) -> Result<Option<Job>> {
        let stats = match &finish.stats {
            Some(s) => {
                serde_json::to_string(s).map_err(|e| JobStoreError::Corrupt(e.to_string()))?
            }
            None => String::new(),
        };
        let (id_s, stats, finish) = (&id.to_string(), &stats, &finish);
        let v: Result<Value> = self
            .call(Again::IfUnsent, |mut c| async move {
                self.scripts
                    .finish
                    .arg(id_s)
                    .arg(finish.status.as_str())
                    .arg(finish.reason.map_or("", Reason::as_str))
                    .arg(finish.rc.map(|rc| rc.to_string()).unwrap_or_default())
                    .arg(stats)
                    .arg(
                        finish
                            .error
                            .as_deref()
                            .map(crate::model::error_text)
                            .unwrap_or_default(),
                    )
                    .arg(finish.dropped_events)
                    .invoke_async(&mut c)
                    .await
            })
            .await;
        // Whatever the outcome, the job leaves `inflight`: at once when Redis answered, a TTL
        // after the first failure when it did not (the worker may still retry meanwhile).
        let ours = match &v {
            Ok(_) => lock(&self.inflight).remove(&id).map(|i| i.job),
            Err(_) => {
                if let Some(i) = lock(&self.inflight).get_mut(&id) {
                    i.failing_since.get_or_insert_with(std::time::Instant::now);
                }
                None
            }
        };
        let ended = reply::job(&v?)?;
        if let (None, Some(job)) = (&ended, ours) {
            // Not running: reaped or canceled (its record says so), or its record is gone while
            // it ran, which only a Redis that lost data does (an ended job is purged, never a
            // running one).
            let key = &format!("{P}job:{id}");
            let there: bool = self
                .call(Again::Idempotent, |mut c| async move {
                    redis::cmd("EXISTS").arg(key).query_async(&mut c).await
                })
                .await?;
            if !there {
                tracing::error!(job = %id, "the job's record vanished from Redis while it ran (Redis lost data): recorded again as failed, reason lost");
                self.write_lost(&job).await?;
                let _ = self.check_epoch().await;
            }
        }
        Ok(ended)
    }

    async fn cancel(&self, id: JobId) -> Result<Cancel> {
        self.gate()?;
        let id_s = &id.to_string();
        let v: Value = self
            .call(Again::IfUnsent, |mut c| async move {
                self.scripts.cancel.arg(id_s).invoke_async(&mut c).await
            })
            .await?;
        let (kind, job) = kind_and_job(&v)?;
        let Some(job) = job else {
            return Ok(Cancel::NotFound);
        };
        Ok(match kind.as_str() {
            "canceled" => Cancel::Canceled(job),
            "requested" => Cancel::Requested(job),
            _ => Cancel::Ended(job),
        })
    }

    /// Nothing to do at start: other processes may be running jobs right now; the reaper
    /// ends those whose worker really died.
    async fn recover(&self) -> Result<Vec<Lost>> {
        Ok(Vec::new())
    }

    async fn purge(&self, ended_before: i64) -> Result<u64> {
        let mut total = 0;
        loop {
            let n: u64 = self
                .call(Again::Idempotent, |mut c| async move {
                    self.scripts
                        .purge
                        .arg(ended_before)
                        .invoke_async(&mut c)
                        .await
                })
                .await?;
            total += n;
            if n < 500 {
                return Ok(total);
            }
        }
    }

    async fn counts(&self) -> Result<Vec<(Status, u64)>> {
        self.gate()?;
        let mut pipe = redis::pipe();
        for st in Status::ALL {
            pipe.cmd("ZCARD").arg(format!("{P}status:{}", st.as_str()));
        }
        let pipe = &pipe;
        let n: Vec<u64> = self
            .call(Again::Idempotent, |mut c| async move {
                pipe.query_async(&mut c).await
            })
            .await?;
        Ok(Status::ALL.into_iter().zip(n).collect())
    }

    fn take_waits(&self) -> bool {
        true
    }

    fn shared(&self) -> bool {
        true
    }

    async fn health(&self) -> Result<Health> {
        let check = self.check(self.opts.volatile_ok).await?;
        Ok(Health {
            refusals: check.verdict.refusals,
            data_lost: check.data_lost,
        })
    }

    async fn heartbeat(&self, workers: &[String], running: &[JobId]) -> Result<Beat> {
        // Renewing twice renews once; what it reports is read each time.
        let v: Value = self
            .call(Again::Idempotent, |mut c| async move {
                let mut call = self.scripts.heartbeat.arg(ms(self.opts.lease));
                call.arg(workers.len());
                for w in workers {
                    call.arg(w);
                }
                for id in running {
                    call.arg(id.to_string());
                }
                call.invoke_async(&mut c).await
            })
            .await?;
        let parts = reply::items(&v);
        Ok(Beat {
            cancel: parts.first().map(reply::ids).unwrap_or_default(),
            gone: parts.get(1).map(reply::ids).unwrap_or_default(),
        })
    }

    async fn reap(&self, me: &str) -> Result<Vec<JobId>> {
        // The lock outlives one pass and ends before the next: one reaper per period.
        let lock = ms(self.opts.lease / 10).clamp(200, 4000);
        // Not sent twice: the jobs a first pass ended would be missing from the answer.
        let v: Value = self
            .call(Again::IfUnsent, |mut c| async move {
                self.scripts
                    .reap
                    .arg(me)
                    .arg(lock)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(reply::ids(&v))
    }

    async fn leave(&self, worker: &str) -> Result<()> {
        let _: i64 = self
            .call(Again::Idempotent, |mut c| async move {
                self.scripts.leave.arg(worker).invoke_async(&mut c).await
            })
            .await?;
        self.takers_map().remove(worker);
        Ok(())
    }

    fn watch_changes(&self, changed: ChangeFn) {
        let client = self.client.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(mut sub) = client.get_async_pubsub().await {
                    if sub.subscribe(format!("{P}changed")).await.is_ok() {
                        // Whatever changed while nobody listened: tell the waiters to look.
                        changed(JobId(uuid::Uuid::nil()));
                        let mut messages = sub.on_message();
                        while let Some(msg) = messages.next().await {
                            let id = msg
                                .get_payload::<String>()
                                .ok()
                                .and_then(|s| s.parse().ok())
                                .unwrap_or(JobId(uuid::Uuid::nil()));
                            changed(id);
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
    }
}
