// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
use std::sync::Arc;

use super::*;
use crate::store::contract::{contract_tests, created, ok, spec, Shared};

async fn store(cap: u64) -> (tempfile::TempDir, Shared) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("jobs.sqlite3"), cap).unwrap();
    (dir, Arc::new(s))
}

/// Sets `set` (an SQL assignment) on the job's row, through a connection of its own.
fn damage(dir: &tempfile::TempDir, id: JobId, set: &str) {
    let conn = Connection::open(dir.path().join("jobs.sqlite3")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let n = conn
        .execute(
            &format!("UPDATE jobs SET {set} WHERE id = ?1"),
            [id.to_string()],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// Writes what is not JSON into the job's spec.
async fn corrupt(dir: &tempfile::TempDir, id: JobId) {
    damage(dir, id, "spec = '{not json'");
}

contract_tests!(store, corrupt: corrupt);

/// Damage below JSON: a value of another SQLite type, text that is not UTF-8, a time that is
/// text. Each read as a rusqlite error before, which failed the claim (the job stayed pending,
/// claimed again every second) and the list (500).
const BELOW_JSON: [(&str, &str); 3] = [
    ("spec = CAST(spec AS BLOB)", "spec"),
    ("spec = CAST(x'7bff7d' AS TEXT)", "spec"),
    ("created_at = 'yesterday'", "created_at"),
];

#[tokio::test]
async fn rows_damaged_below_json_end_corrupt_and_the_queue_goes_on() {
    for (set, what) in BELOW_JSON {
        let (dir, s) = store(1024).await;
        let dir = &dir;
        crate::store::contract::a_damaged_pending_job_ends_corrupt_and_the_queue_goes_on(
            s,
            |id| async move { damage(dir, id, set) },
            what,
        )
        .await;
    }
}

#[tokio::test]
async fn a_damaged_name_holder_ends_and_restart_decides() {
    let (dir, s) = store(1024).await;
    let mut named = spec(Some("n"), "a");
    let holder = created(s.submit(named.clone()).await.unwrap());
    damage(&dir, holder.id, "spec = CAST(spec AS BLOB)");
    let Submitted::Attached(shown) = s.submit(named.clone()).await.unwrap() else {
        panic!("restart never keeps the ended holder")
    };
    assert_eq!(
        (shown.id, shown.status, shown.reason),
        (holder.id, Status::Failed, Some(Reason::Corrupt))
    );
    // Ended for good in the store, not only shown so: purge can remove it.
    assert!(s
        .get(holder.id)
        .await
        .unwrap()
        .unwrap()
        .finished_at
        .is_some());
    assert_eq!(s.purge(now_micros() + 1).await.unwrap(), 1);
    named.restart = Restart::OnFailure;
    let again = created(s.submit(named.clone()).await.unwrap());
    // A holder whose id is gone cannot be shown: the name is free.
    damage(&dir, again.id, "id = x'00'");
    let third = created(s.submit(named).await.unwrap());
    assert_ne!(third.id, again.id);
}

#[tokio::test]
async fn a_running_row_whose_id_does_not_parse_does_not_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let (bad, good);
    {
        let s = SqliteStore::open(&path, 100).unwrap();
        bad = created(s.submit(spec(None, "a")).await.unwrap());
        good = created(s.submit(spec(None, "b")).await.unwrap());
        s.take("w").await.unwrap();
        s.take("w").await.unwrap();
    }
    damage(&dir, bad.id, "id = 'not-a-job-id'");
    let s = SqliteStore::open(&path, 100).unwrap();
    let lost = s.recover().await.unwrap();
    assert_eq!(lost.iter().map(|l| l.id).collect::<Vec<_>>(), vec![good.id]);
    let conn = Connection::open(&path).unwrap();
    let row: (String, String) = conn
        .query_row(
            "SELECT status, reason FROM jobs WHERE id = 'not-a-job-id'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(row, ("failed".into(), "corrupt".into()));
}

#[tokio::test]
async fn a_file_of_an_older_version_gains_the_new_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    {
        let conn = Connection::open(&path).unwrap();
        let old = SCHEMA.replace(
            ",\n    error TEXT,\n    dropped_events INTEGER NOT NULL DEFAULT 0",
            "",
        );
        assert_ne!(old, SCHEMA);
        conn.execute_batch(&old).unwrap();
    }
    let s = SqliteStore::open(&path, 100).unwrap();
    let job = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    let end = Finish::failed(Reason::Spawn, "no such file");
    let done = s.finish(job.id, end).await.unwrap().unwrap();
    assert_eq!(done.error.as_deref(), Some("no such file"));
}

#[tokio::test]
async fn reopening_makes_running_jobs_lost_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jobs.sqlite3");
    let (running, pending, done);
    {
        let s = SqliteStore::open(&path, 100).unwrap();
        done = created(s.submit(spec(None, "a")).await.unwrap());
        s.take("w").await.unwrap();
        s.finish(done.id, ok(Status::Successful, 0)).await.unwrap();
        running = created(s.submit(spec(None, "b")).await.unwrap());
        s.take("w").await.unwrap();
        s.set_pid(running.id, 4242, 99).await.unwrap();
        s.append_output(running.id, b"half".to_vec()).await.unwrap();
        pending = created(s.submit(spec(None, "c")).await.unwrap());
    }
    let s = SqliteStore::open(&path, 100).unwrap();
    let lost = s.recover().await.unwrap();
    assert_eq!(
        lost,
        vec![Lost {
            id: running.id,
            pid: Some((4242, 99))
        }]
    );
    let r = s.get(running.id).await.unwrap().unwrap();
    assert_eq!((r.status, r.reason), (Status::Failed, Some(Reason::Lost)));
    let error = r.error.unwrap_or_default();
    assert!(error.contains("worker w"), "{error}");
    assert_eq!(r.stdout.as_deref(), Some("half"));
    assert_eq!(
        s.get(pending.id).await.unwrap().unwrap().status,
        Status::Pending
    );
    assert_eq!(
        s.get(done.id).await.unwrap().unwrap().status,
        Status::Successful
    );
}

#[tokio::test]
async fn an_event_that_is_not_json_is_skipped_and_the_rest_read() {
    let (dir, s) = store(1024).await;
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.append_events(j.id, vec![serde_json::json!({"n": 1})])
        .await
        .unwrap();
    {
        let conn = Connection::open(dir.path().join("jobs.sqlite3")).unwrap();
        conn.execute(
            "INSERT INTO events (job_id, seq, data) VALUES (?1, 2, '{not json'), (?1, 3, x'ff')",
            [j.id.to_string()],
        )
        .unwrap();
    }
    s.append_events(j.id, vec![serde_json::json!({"n": 4})])
        .await
        .unwrap();
    let evs = s.events(j.id, 0, 10).await.unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 4]);
}

/// A job stored before the spec had a submitter (an older data dir) reads back, without one.
#[tokio::test]
async fn a_spec_stored_without_a_submitter_reads_back() {
    let (dir, s) = store(1024).await;
    let job = created(s.submit(spec(None, "old")).await.unwrap());
    damage(
        &dir,
        job.id,
        r#"spec = '{"playbook":"hello.yml","extra_vars":{"x":1},"inventory":{"hosts":["localhost"]},"name":null,"timeout":null,"limit":null,"tags":null}'"#,
    );
    let got = s.get(job.id).await.unwrap().unwrap();
    assert_eq!(got.status, Status::Pending);
    assert_eq!(got.spec.submitter, None);
    assert!(!got.spec.check);
    assert_eq!(got.spec.extra_vars.keys().collect::<Vec<_>>(), ["x"]);
}
