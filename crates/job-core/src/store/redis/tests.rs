// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Against a real redis-server (Debian's package), one per test, on a free loopback port.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::store::contract::{contract_tests, created, ok, spec, Shared};

pub struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = spawn(port, dir.path());
        Self { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGTERM (Redis writes its append-only file and exits), then the same port and dir again.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(self.port, self.dir.path());
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(port: u16, dir: &Path) -> Child {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args(["--appendonly", "yes", "--appendfsync", "always"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "redis-server: {e}: these tests need a real Redis (apt-get install redis-server)"
            )
        });
    let mut child = child;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) {
            let mut buf = [0u8; 16];
            if c.write_all(b"PING\r\n").is_ok()
                && c.read(&mut buf).is_ok_and(|n| n > 0)
                && buf.starts_with(b"+PONG")
            {
                return child;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server on port {port} did not answer PING within 10 s");
}

fn options(cap: u64, lease: Duration) -> RedisOptions {
    RedisOptions {
        lease,
        ttl: Duration::from_secs(3600),
        stdout_cap: cap,
        block: Duration::from_millis(100),
        volatile_ok: false,
    }
}

async fn open(server: &Server, cap: u64, lease: Duration) -> Arc<RedisStore> {
    Arc::new(
        RedisStore::connect(&server.url(), options(cap, lease))
            .await
            .unwrap(),
    )
}

async fn store(cap: u64) -> (Server, Shared) {
    let server = Server::start();
    let s = open(&server, cap, Duration::from_secs(30)).await;
    (server, s)
}

/// Writes what is not JSON into the job hash's spec field, as a raw client would.
async fn corrupt(server: &Server, id: JobId) {
    let _: i64 = redis::cmd("HSET")
        .arg(format!("{P}job:{id}"))
        .arg("spec")
        .arg("{not json")
        .query_async(&mut raw(server).await)
        .await
        .unwrap();
}

contract_tests!(store, corrupt: corrupt);

async fn raw(server: &Server) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unreachable_redis_fails_at_connect() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let err = RedisStore::connect(&url, options(10, Duration::from_secs(30)))
        .await
        .err()
        .expect("no Redis there");
    assert!(matches!(err, JobStoreError::Redis(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_workers_take_two_hundred_jobs_each_exactly_once() {
    let server = Server::start();
    let s = open(&server, 1024, Duration::from_secs(30)).await;
    for i in 0..200 {
        s.submit(spec(None, &i.to_string())).await.unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("w{w}");
            let mut got = Vec::new();
            while let Some(job) = s.take(&name).await.unwrap() {
                assert_eq!(job.worker.as_deref(), Some(name.as_str()));
                s.finish(job.id, ok(Status::Successful, 0))
                    .await
                    .unwrap()
                    .unwrap();
                got.push(job.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (200, 200));
    let counts = s.counts().await.unwrap();
    assert!(counts.contains(&(Status::Successful, 200)), "{counts:?}");
    let mut c = raw(&server).await;
    let queued: i64 = redis::cmd("LLEN")
        .arg("{ajs}:q")
        .query_async(&mut c)
        .await
        .unwrap();
    let leases: i64 = redis::cmd("ZCARD")
        .arg("{ajs}:leases")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((queued, leases), (0, 0));
}

#[tokio::test]
async fn a_job_taken_by_a_worker_that_died_before_starting_it_goes_back() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(2)).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    // What a worker leaves when it dies between BLMOVE and the start script.
    let mut c = raw(&server).await;
    let _: i64 = redis::cmd("ZADD")
        .arg("{ajs}:workers")
        .arg(1)
        .arg("dead")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: String = redis::cmd("LMOVE")
        .arg("{ajs}:q")
        .arg("{ajs}:w:dead")
        .arg("RIGHT")
        .arg("LEFT")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(s.take("alive").await.unwrap().is_none(), "not in the queue");
    assert!(s.reap("reaper").await.unwrap().is_empty(), "nothing ran");
    let job = s.take("alive").await.unwrap().expect("put back");
    assert_eq!((job.id, job.attempt), (j.id, 1));
}

#[tokio::test]
async fn an_expired_lease_makes_the_job_lost_and_its_worker_hears_it_is_gone() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_millis(300)).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    s.append_output(j.id, b"half".to_vec()).await.unwrap();
    assert!(s.reap("r1").await.unwrap().is_empty(), "the lease runs");
    tokio::time::sleep(Duration::from_millis(450)).await;
    let mut lost = Vec::new();
    for _ in 0..20 {
        lost = s.reap("r1").await.unwrap();
        if !lost.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(lost, vec![j.id]);
    let got = s.get(j.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.reason),
        (Status::Failed, Some(Reason::Lost))
    );
    assert_eq!(got.stdout.as_deref(), Some("half"));
    assert!(
        s.finish(j.id, ok(Status::Successful, 0))
            .await
            .unwrap()
            .is_none(),
        "a late report changes nothing"
    );
    let beat = s.heartbeat(&["w".into()], &[j.id]).await.unwrap();
    assert_eq!(beat.gone, vec![j.id]);
}

#[tokio::test]
async fn heartbeats_keep_a_job_alive_and_bring_cancels() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_millis(300)).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let beat = s.heartbeat(&["w".into()], &[j.id]).await.unwrap();
        assert_eq!(beat, Beat::default());
        // A fresh reaper each time: the election lock must not hide a loss.
        assert!(s.reap(&format!("r{}", j.id)).await.unwrap().is_empty());
    }
    assert_eq!(s.get(j.id).await.unwrap().unwrap().status, Status::Running);
    s.cancel(j.id).await.unwrap();
    let beat = s.heartbeat(&["w".into()], &[j.id]).await.unwrap();
    assert_eq!((beat.cancel, beat.gone), (vec![j.id], vec![]));
}

#[tokio::test]
async fn one_reaper_at_a_time() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(2)).await;
    let mut c = raw(&server).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let j = created(s.submit(spec(None, &i.to_string())).await.unwrap());
        s.take("w").await.unwrap().unwrap();
        ids.push(j.id);
    }
    // Every lease already over.
    for id in &ids {
        let _: i64 = redis::cmd("ZADD")
            .arg("{ajs}:leases")
            .arg(1)
            .arg(id.to_string())
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(s.reap("a"), s.reap("b"));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 3, "{a:?} {b:?}");
    assert!(a.is_empty() || b.is_empty(), "both reaped: {a:?} {b:?}");
}

#[tokio::test]
async fn leaving_puts_back_what_was_taken_but_not_started() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    let mut c = raw(&server).await;
    let _: String = redis::cmd("LMOVE")
        .arg("{ajs}:q")
        .arg("{ajs}:w:w1")
        .arg("RIGHT")
        .arg("LEFT")
        .query_async(&mut c)
        .await
        .unwrap();
    s.leave("w1").await.unwrap();
    assert_eq!(s.take("w2").await.unwrap().unwrap().id, j.id);
}

#[tokio::test]
async fn the_ttl_starts_when_the_job_ends() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    let j = created(s.submit(spec(Some("n"), "a")).await.unwrap());
    let mut c = raw(&server).await;
    let key = format!("{{ajs}}:job:{}", j.id);
    let ttl = |c: &mut redis::aio::MultiplexedConnection, k: String| {
        let mut c = c.clone();
        async move {
            let t: i64 = redis::cmd("TTL").arg(k).query_async(&mut c).await.unwrap();
            t
        }
    };
    assert_eq!(ttl(&mut c, key.clone()).await, -1, "pending never expires");
    s.take("w").await.unwrap().unwrap();
    assert_eq!(ttl(&mut c, key.clone()).await, -1, "running never expires");
    s.finish(j.id, ok(Status::Successful, 0)).await.unwrap();
    let t = ttl(&mut c, key).await;
    assert!((3600..=3900).contains(&t), "ttl {t}");
    assert!(ttl(&mut c, "{ajs}:name:n".into()).await > 3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_nothing_and_needs_no_reconnect_by_hand() {
    let mut server = Server::start();
    let s = open(&server, 100, Duration::from_secs(30)).await;
    let done = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    s.finish(done.id, ok(Status::Successful, 0)).await.unwrap();
    let running = created(s.submit(spec(None, "b")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    s.append_output(running.id, b"before ".to_vec())
        .await
        .unwrap();
    let pending = created(s.submit(spec(Some("p"), "c")).await.unwrap());
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        match s.get(running.id).await {
            Ok(j) => break j,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("the store did not come back: {e}"),
        }
    };
    assert_eq!(got.unwrap().status, Status::Running);
    s.append_output(running.id, b"after".to_vec())
        .await
        .unwrap();
    let end = s
        .finish(running.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end.stdout.as_deref(), Some("before after"));
    assert_eq!(
        s.get(done.id).await.unwrap().unwrap().status,
        Status::Successful
    );
    assert!(matches!(
        s.submit(spec(Some("p"), "c")).await.unwrap(),
        Submitted::Attached(j) if j.id == pending.id
    ));
    assert_eq!(s.take("w2").await.unwrap().unwrap().id, pending.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_hears_of_every_change() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    let listener = open(&server, 10, Duration::from_secs(30)).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    listener.watch_changes(Arc::new(move |id| {
        let _ = tx.send(id);
    }));
    // The first call says "look": it is subscribed.
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap();
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    s.finish(j.id, ok(Status::Successful, 0)).await.unwrap();
    let mut heard = 0;
    while heard < 3 {
        let id = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a change was not heard")
            .unwrap();
        if id == j.id {
            heard += 1;
        }
    }
}

#[tokio::test]
async fn a_submit_sent_twice_with_one_id_creates_one_job() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    let id = JobId::new().to_string();
    let spec_json = serde_json::to_string(&spec(None, "a")).unwrap();
    let mut c = raw(&server).await;
    for _ in 0..2 {
        let v: Value = s
            .scripts
            .submit
            .arg(&id)
            .arg("")
            .arg("fp")
            .arg(&spec_json)
            .arg("never")
            .arg(3600)
            .arg(10)
            .invoke_async(&mut c)
            .await
            .unwrap();
        assert_eq!(kind_and_job(&v).unwrap().0, "created");
    }
    let counts = s.counts().await.unwrap();
    assert!(counts.contains(&(Status::Pending, 1)), "{counts:?}");
}

#[tokio::test]
async fn a_redis_that_lost_its_data_is_found_and_our_running_job_is_written_back_lost() {
    let server = Server::start();
    let s = open(&server, 1024, Duration::from_secs(30)).await;
    assert_eq!(s.check(false).await.unwrap().data_lost, None);
    let mut named = spec(None, "a");
    named.name = Some("nightly".into());
    let j = created(s.submit(named).await.unwrap());
    let running = s.take("w").await.unwrap().unwrap();
    assert_eq!(running.id, j.id);
    let mut c = raw(&server).await;
    let _: () = redis::cmd("FLUSHALL").query_async(&mut c).await.unwrap();
    let check = s.check(false).await.unwrap();
    assert!(check.data_lost.is_some(), "{check:?}");
    let lost = s.get(j.id).await.unwrap().unwrap();
    assert_eq!(
        (lost.status, lost.reason),
        (Status::Failed, Some(Reason::Lost))
    );
    // The name is held by the lost job: it does not run again by itself.
    let mut again = spec(None, "a");
    again.name = Some("nightly".into());
    assert!(matches!(s.submit(again).await.unwrap(), Submitted::Attached(a) if a.id == j.id));
    // The worker's late end changes nothing, and the next check finds a steady epoch.
    assert!(s
        .finish(j.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.check(false).await.unwrap().data_lost, None);
}

#[tokio::test]
async fn a_store_with_jobs_but_no_epoch_is_a_loss_and_a_fresh_one_is_not() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    assert_eq!(
        s.check(false).await.unwrap().data_lost,
        None,
        "a fresh store"
    );
    created(s.submit(spec(None, "a")).await.unwrap());
    let other = open(&server, 10, Duration::from_secs(30)).await;
    let mut c = raw(&server).await;
    let _: i64 = redis::cmd("DEL")
        .arg("{ajs}:epoch")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(other.check(false).await.unwrap().data_lost.is_some());
    // The first process had seen another epoch: it hears of the loss too.
    assert!(s.check(false).await.unwrap().data_lost.is_some());
}

#[tokio::test]
async fn a_job_whose_finish_failed_is_not_written_back_once_its_ttl_is_over() {
    let server = Server::start();
    let opts = RedisOptions {
        ttl: Duration::from_secs(1),
        ..options(1024, Duration::from_secs(30))
    };
    let s = RedisStore::connect(&server.url(), opts).await.unwrap();
    s.check(false).await.unwrap();
    let mut named = spec(None, "a");
    named.name = Some("nightly".into());
    let j = created(s.submit(named.clone()).await.unwrap());
    assert_eq!(s.take("w").await.unwrap().unwrap().id, j.id);
    // The record turns into a string: finish.lua fails on it (WRONGTYPE), as a finish that
    // never gets through would; the worker gives up.
    let mut c = raw(&server).await;
    let _: () = redis::cmd("SET")
        .arg(format!("{P}job:{}", j.id))
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(s.finish(j.id, ok(Status::Successful, 0)).await.is_err());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Long after (a TTL: the job would have been purged), Redis loses its data.
    let _: () = redis::cmd("FLUSHALL").query_async(&mut c).await.unwrap();
    assert!(s.check(false).await.unwrap().data_lost.is_some());
    assert!(s.get(j.id).await.unwrap().is_none(), "written back");
    assert!(lock(&s.inflight).is_empty());
    // Its name is free: not taken back by a job purged long ago.
    assert!(matches!(
        s.submit(named).await.unwrap(),
        Submitted::Created(_)
    ));
}

#[tokio::test]
async fn a_job_whose_finish_failed_is_still_written_back_within_its_ttl() {
    let server = Server::start();
    let s = open(&server, 1024, Duration::from_secs(30)).await;
    s.check(false).await.unwrap();
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    let mut c = raw(&server).await;
    let key = format!("{P}job:{}", j.id);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(s.finish(j.id, ok(Status::Successful, 0)).await.is_err());
    let _: () = redis::cmd("FLUSHALL").query_async(&mut c).await.unwrap();
    assert!(s.check(false).await.unwrap().data_lost.is_some());
    let lost = s.get(j.id).await.unwrap().unwrap();
    assert_eq!(
        (lost.status, lost.reason),
        (Status::Failed, Some(Reason::Lost))
    );
}

/// A process starting on an empty Redis while another sets the epoch and takes a job must not
/// report a loss. Read apart, the epoch and the jobs could be seen as "no epoch", then "jobs".
/// Another client cycles the store through what such a start goes through (empty, epoch, epoch
/// and a job), never "jobs without an epoch"; a starting process (no epoch seen yet) checks it
/// again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_starting_beside_another_on_a_fresh_redis_reports_no_loss() {
    let server = Server::start();
    let s = open(&server, 10, Duration::from_secs(30)).await;
    let mut c = raw(&server).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cycler = tokio::spawn({
        let stop = stop.clone();
        async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _: () = redis::cmd("FLUSHALL").query_async(&mut c).await.unwrap();
                let _: () = redis::cmd("SET")
                    .arg(format!("{P}epoch"))
                    .arg("theirs")
                    .query_async(&mut c)
                    .await
                    .unwrap();
                let _: i64 = redis::cmd("ZADD")
                    .arg(format!("{P}jobs"))
                    .arg(1)
                    .arg("x")
                    .query_async(&mut c)
                    .await
                    .unwrap();
            }
        }
    });
    let mut lost = 0;
    for _ in 0..3000 {
        *lock(&s.epoch) = None;
        if s.check_epoch().await.unwrap().is_some() {
            lost += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    cycler.await.unwrap();
    assert_eq!(lost, 0, "false reports of a loss");
}

#[test]
fn the_epoch_verdicts() {
    assert_eq!(epoch_verdict("set", "e", None), None);
    assert_eq!(epoch_verdict("seen", "e", None), None);
    assert_eq!(epoch_verdict("seen", "e", Some("e")), None);
    assert!(epoch_verdict("seen", "f", Some("e")).is_some_and(|w| w.contains("changed")));
    assert!(epoch_verdict("set", "f", Some("e")).is_some_and(|w| w.contains("vanished")));
    assert!(epoch_verdict("jobs", "f", None).is_some_and(|w| w.contains("no epoch")));
}

#[tokio::test]
async fn an_event_that_is_not_json_is_skipped_and_the_rest_read() {
    let (server, s) = store(1024).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.append_events(j.id, vec![serde_json::json!({"n": 1})])
        .await
        .unwrap();
    let _: i64 = redis::cmd("RPUSH")
        .arg(format!("{P}ev:{}", j.id))
        .arg("{not json")
        .query_async(&mut raw(&server).await)
        .await
        .unwrap();
    s.append_events(j.id, vec![serde_json::json!({"n": 3})])
        .await
        .unwrap();
    let evs = s.events(j.id, 0, 10).await.unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(evs[1].data["n"], 3);
}
