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

/// Writes what is not JSON into the job's spec, through a connection of its own.
async fn corrupt(dir: &tempfile::TempDir, id: JobId) {
    let conn = Connection::open(dir.path().join("jobs.sqlite3")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let n = conn
        .execute(
            "UPDATE jobs SET spec = '{not json' WHERE id = ?1",
            [id.to_string()],
        )
        .unwrap();
    assert_eq!(n, 1);
}

contract_tests!(store, corrupt: corrupt);

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
    s.claim("w").await.unwrap().unwrap();
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
        s.claim("w").await.unwrap();
        s.finish(done.id, ok(Status::Successful, 0)).await.unwrap();
        running = created(s.submit(spec(None, "b")).await.unwrap());
        s.claim("w").await.unwrap();
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
