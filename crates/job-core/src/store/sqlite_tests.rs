// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::Inventory;

fn spec(name: Option<&str>, greeting: &str) -> JobSpec {
    JobSpec {
        playbook: "hello.yml".into(),
        extra_vars: json!({"greeting": greeting})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        inventory: Inventory::Hosts(vec!["localhost".into()]),
        name: name.map(String::from),
        restart: Restart::Never,
        timeout: None,
        limit: None,
        tags: None,
        check: false,
    }
}

fn store(cap: u64) -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("jobs.sqlite3"), cap).unwrap();
    (dir, Arc::new(s))
}

fn created(s: Submitted) -> Job {
    match s {
        Submitted::Created(j) => j,
        other => panic!("expected Created, got {other:?}"),
    }
}

fn ok(status: Status, rc: i32) -> Finish {
    Finish {
        status,
        reason: (status == Status::Failed).then_some(Reason::Rc),
        rc: Some(rc),
        stats: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_of_one_name_create_one_job() {
    let (_d, s) = store(1024);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.submit(spec(Some("migrate"), "hi")).await
        }));
    }
    let mut created_ids = Vec::new();
    let mut all_ids = std::collections::HashSet::new();
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Submitted::Created(j) => {
                all_ids.insert(j.id);
                created_ids.push(j.id)
            }
            Submitted::Attached(j) => {
                all_ids.insert(j.id);
            }
            Submitted::Conflict(j) => panic!("same payload conflicted with {}", j.id),
        }
    }
    assert_eq!(created_ids.len(), 1);
    assert_eq!(all_ids.len(), 1);
}

#[tokio::test]
async fn a_name_held_with_another_payload_conflicts_and_restart_decides_after_the_end() {
    let (_d, s) = store(1024);
    let first = created(s.submit(spec(Some("n"), "a")).await.unwrap());
    assert!(
        matches!(s.submit(spec(Some("n"), "b")).await.unwrap(), Submitted::Conflict(j) if j.id == first.id)
    );
    let claimed = s.claim("w").await.unwrap().unwrap();
    assert_eq!(claimed.id, first.id);
    assert_eq!(claimed.attempt, 1);
    s.finish(first.id, ok(Status::Failed, 2))
        .await
        .unwrap()
        .unwrap();
    // never: the ended job is returned, whatever the payload.
    assert!(
        matches!(s.submit(spec(Some("n"), "b")).await.unwrap(), Submitted::Attached(j) if j.id == first.id)
    );
    let mut again = spec(Some("n"), "a");
    again.restart = Restart::OnFailure;
    let second = created(s.submit(again.clone()).await.unwrap());
    s.claim("w").await.unwrap().unwrap();
    s.finish(second.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(s.submit(again).await.unwrap(), Submitted::Attached(j) if j.id == second.id));
    let mut always = spec(Some("n"), "a");
    always.restart = Restart::Always;
    assert_ne!(created(s.submit(always).await.unwrap()).id, second.id);
}

#[tokio::test]
async fn claim_is_fifo_and_finish_only_ends_running_jobs() {
    let (_d, s) = store(1024);
    let a = created(s.submit(spec(None, "a")).await.unwrap());
    let b = created(s.submit(spec(None, "b")).await.unwrap());
    assert!(s
        .finish(a.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.claim("w1").await.unwrap().unwrap().id, a.id);
    assert_eq!(s.claim("w2").await.unwrap().unwrap().id, b.id);
    assert!(s.claim("w3").await.unwrap().is_none());
    let done = s
        .finish(a.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, Status::Successful);
    assert!(done.finished_at.is_some());
    assert!(s
        .finish(a.id, ok(Status::Failed, 1))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn stdout_keeps_the_tail_and_reads_by_offset() {
    let (_d, s) = store(10);
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.claim("w").await.unwrap().unwrap();
    s.append_output(j.id, b"0123456".to_vec()).await.unwrap();
    let sl = s.output(j.id, 0, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (0, &b"0123456"[..], 7)
    );
    s.append_output(j.id, b"789abcdef".to_vec()).await.unwrap();
    // 16 bytes written, cap 10: the first chunk (0..7) is wholly before byte 6? no: it ends at 7.
    let sl = s.output(j.id, 3, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (3, &b"3456789abcdef"[..], 16)
    );
    s.append_output(j.id, b"ghij".to_vec()).await.unwrap();
    let sl = s.output(j.id, 0, 100).await.unwrap().unwrap();
    assert_eq!(sl.start, 7, "the first chunk is gone");
    assert_eq!(sl.next, 20);
    let sl = s.output(j.id, 8, 3).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (8, &b"89a"[..], 11)
    );
    let done = s
        .finish(j.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.stdout.as_deref(), Some("abcdefghij"));
    let sl = s.output(j.id, 0, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (10, &b"abcdefghij"[..], 20)
    );
    let sl = s.output(j.id, 18, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (18, &b"ij"[..], 20)
    );
    assert!(s.output(JobId::new(), 0, 10).await.unwrap().is_none());
}

#[tokio::test]
async fn events_are_numbered_per_job() {
    let (_d, s) = store(10);
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.append_events(j.id, vec![json!({"event": "a"}), json!({"event": "b"})])
        .await
        .unwrap();
    s.append_events(j.id, vec![json!({"event": "c"})])
        .await
        .unwrap();
    let evs = s.events(j.id, 1, 10).await.unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(evs[1].data["event"], "c");
}

#[tokio::test]
async fn cancel_pending_running_and_ended() {
    let (_d, s) = store(10);
    let a = created(s.submit(spec(None, "a")).await.unwrap());
    let b = created(s.submit(spec(None, "b")).await.unwrap());
    assert!(
        matches!(s.cancel(b.id).await.unwrap(), Cancel::Canceled(j) if j.status == Status::Canceled)
    );
    s.claim("w").await.unwrap().unwrap();
    assert!(
        s.claim("w").await.unwrap().is_none(),
        "a canceled job is never claimed"
    );
    assert!(matches!(s.cancel(a.id).await.unwrap(), Cancel::Requested(j) if j.cancel_requested));
    s.finish(
        a.id,
        Finish {
            status: Status::Canceled,
            reason: None,
            rc: None,
            stats: None,
        },
    )
    .await
    .unwrap();
    assert!(matches!(s.cancel(a.id).await.unwrap(), Cancel::Ended(_)));
    assert!(matches!(
        s.cancel(JobId::new()).await.unwrap(),
        Cancel::NotFound
    ));
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
async fn list_pages_newest_first_and_purge_spares_live_jobs() {
    let (_d, s) = store(10);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(created(s.submit(spec(Some(&format!("n{i}")), "a")).await.unwrap()).id);
    }
    let p1 = s
        .list(ListQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        p1.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3]]
    );
    let p2 = s
        .list(ListQuery {
            limit: 2,
            cursor: p1.next_cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        p2.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let p3 = s
        .list(ListQuery {
            limit: 2,
            cursor: p2.next_cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((p3.jobs.len(), p3.next_cursor), (1, None));
    let named = s
        .list(ListQuery {
            limit: 10,
            name: Some("n2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        named.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[2]]
    );
    s.claim("w").await.unwrap();
    s.finish(ids[0], ok(Status::Successful, 0)).await.unwrap();
    assert_eq!(s.purge(now_micros() + 1).await.unwrap(), 1);
    assert!(s.get(ids[0]).await.unwrap().is_none());
    let counts = s.counts().await.unwrap();
    assert!(counts.contains(&(Status::Pending, 4)));
}
