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

contract_tests!(store);

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
