// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What every store must do, whatever keeps the jobs. `contract_tests!` turns each function
//! into a test for one store; sqlite_tests.rs and redis/tests.rs run them all.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use super::{Cancel, JobStore, ListQuery, Submitted};
use crate::model::{Finish, Inventory, Job, JobId, JobSpec, Reason, Restart, Status};
use crate::time::now_micros;

pub type Shared = Arc<dyn JobStore>;

pub fn spec(name: Option<&str>, greeting: &str) -> JobSpec {
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
        submitter: None,
    }
}

pub fn created(s: Submitted) -> Job {
    match s {
        Submitted::Created(j) => j,
        other => panic!("expected Created, got {other:?}"),
    }
}

pub fn ok(status: Status, rc: i32) -> Finish {
    Finish {
        status,
        reason: (status == Status::Failed).then_some(Reason::Rc),
        rc: Some(rc),
        stats: None,
        error: (status == Status::Failed).then(|| format!("exited with {rc}")),
        dropped_events: 0,
    }
}

pub async fn fifty_concurrent_submissions_of_one_name_create_one_job(s: Shared) {
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.submit(spec(Some("migrate"), "hi")).await
        }));
    }
    let mut created_ids = Vec::new();
    let mut all_ids = HashSet::new();
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

pub async fn a_name_held_with_another_payload_conflicts_and_restart_decides_after_the_end(
    s: Shared,
) {
    let first = created(s.submit(spec(Some("n"), "a")).await.unwrap());
    assert!(
        matches!(s.submit(spec(Some("n"), "b")).await.unwrap(), Submitted::Conflict(j) if j.id == first.id)
    );
    let taken = s.take("w").await.unwrap().unwrap();
    assert_eq!(taken.id, first.id);
    assert_eq!(taken.attempt, 1);
    assert_eq!(taken.worker.as_deref(), Some("w"));
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
    s.take("w").await.unwrap().unwrap();
    s.finish(second.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(s.submit(again).await.unwrap(), Submitted::Attached(j) if j.id == second.id));
    let mut always = spec(Some("n"), "a");
    always.restart = Restart::Always;
    assert_ne!(created(s.submit(always).await.unwrap()).id, second.id);
}

pub async fn take_is_fifo_and_finish_only_ends_running_jobs(s: Shared) {
    let a = created(s.submit(spec(None, "a")).await.unwrap());
    let b = created(s.submit(spec(None, "b")).await.unwrap());
    assert!(s
        .finish(a.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.take("w1").await.unwrap().unwrap().id, a.id);
    assert_eq!(s.take("w2").await.unwrap().unwrap().id, b.id);
    assert!(s.take("w3").await.unwrap().is_none());
    let done = s
        .finish(a.id, ok(Status::Successful, 0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, Status::Successful);
    assert_eq!(done.rc, Some(0));
    assert!(done.finished_at.is_some());
    assert!(s
        .finish(a.id, ok(Status::Failed, 1))
        .await
        .unwrap()
        .is_none());
}

/// Run with a stdout cap of 10 bytes. While it runs, at least the last `cap` bytes can be read
/// by their offsets in the whole output; once it ended, exactly those are kept.
pub async fn stdout_keeps_the_tail_and_reads_by_offset(s: Shared) {
    let all = b"0123456789abcdefghij";
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    s.take("w").await.unwrap().unwrap();
    s.append_output(j.id, all[..7].to_vec()).await.unwrap();
    let sl = s.output(j.id, 0, 100).await.unwrap().unwrap();
    assert_eq!((sl.start, sl.data.as_slice(), sl.next), (0, &all[..7], 7));
    s.append_output(j.id, all[7..16].to_vec()).await.unwrap();
    let sl = s.output(j.id, 3, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (3, &all[3..16], 16)
    );
    s.append_output(j.id, all[16..].to_vec()).await.unwrap();
    let sl = s.output(j.id, 0, 100).await.unwrap().unwrap();
    assert!(sl.start <= 10, "the last 10 bytes must be kept");
    assert_eq!(sl.data.as_slice(), &all[sl.start as usize..]);
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
        (10, &all[10..], 20)
    );
    let sl = s.output(j.id, 18, 100).await.unwrap().unwrap();
    assert_eq!(
        (sl.start, sl.data.as_slice(), sl.next),
        (18, &b"ij"[..], 20)
    );
    assert!(s.output(JobId::new(), 0, 10).await.unwrap().is_none());
    assert!(
        s.get(j.id).await.unwrap().unwrap().stdout.as_deref() == Some("abcdefghij"),
        "get shows the kept tail"
    );
}

pub async fn events_are_numbered_per_job(s: Shared) {
    let j = created(s.submit(spec(None, "a")).await.unwrap());
    let other = created(s.submit(spec(None, "b")).await.unwrap());
    s.append_events(j.id, vec![json!({"event": "a"}), json!({"event": "b"})])
        .await
        .unwrap();
    s.append_events(other.id, vec![json!({"event": "x"})])
        .await
        .unwrap();
    s.append_events(j.id, vec![json!({"event": "c"})])
        .await
        .unwrap();
    let evs = s.events(j.id, 1, 10).await.unwrap();
    assert_eq!(evs.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(evs[1].data["event"], "c");
    assert_eq!(s.events(j.id, 0, 1).await.unwrap().len(), 1);
    assert_eq!(s.events(other.id, 0, 10).await.unwrap()[0].seq, 1);
    // `after` comes from the client: the largest one reads nothing, it does not overflow.
    assert!(s.events(j.id, i64::MAX, 500).await.unwrap().is_empty());
    assert!(s
        .events(j.id, i64::MAX - 1, usize::MAX)
        .await
        .unwrap()
        .is_empty());
}

pub async fn cancel_pending_running_and_ended(s: Shared) {
    let a = created(s.submit(spec(None, "a")).await.unwrap());
    let b = created(s.submit(spec(None, "b")).await.unwrap());
    assert!(
        matches!(s.cancel(b.id).await.unwrap(), Cancel::Canceled(j) if j.status == Status::Canceled)
    );
    s.take("w").await.unwrap().unwrap();
    assert!(
        s.take("w").await.unwrap().is_none(),
        "a canceled job is never taken"
    );
    assert!(matches!(s.cancel(a.id).await.unwrap(), Cancel::Requested(j) if j.cancel_requested));
    s.finish(
        a.id,
        Finish {
            status: Status::Canceled,
            reason: None,
            rc: None,
            stats: None,
            error: Some("canceled while it ran".into()),
            dropped_events: 0,
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

pub async fn list_pages_newest_first_and_purge_spares_live_jobs(s: Shared) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(created(s.submit(spec(Some(&format!("n{i}")), "a")).await.unwrap()).id);
    }
    let page = |limit, cursor| ListQuery {
        limit,
        cursor,
        ..Default::default()
    };
    let p1 = s.list(page(2, None)).await.unwrap();
    let seen = |p: &super::Page| p.jobs.iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(seen(&p1), vec![ids[4], ids[3]]);
    let p2 = s.list(page(2, p1.next_cursor)).await.unwrap();
    assert_eq!(seen(&p2), vec![ids[2], ids[1]]);
    let p3 = s.list(page(2, p2.next_cursor)).await.unwrap();
    assert_eq!((p3.jobs.len(), p3.next_cursor), (1, None));
    let named = s
        .list(ListQuery {
            limit: 10,
            name: Some("n2".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(seen(&named), vec![ids[2]]);
    s.take("w").await.unwrap();
    s.finish(ids[0], ok(Status::Successful, 0)).await.unwrap();
    let ended = s
        .list(ListQuery {
            limit: 10,
            status: Some(Status::Successful),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(seen(&ended), vec![ids[0]]);
    assert_eq!(s.purge(now_micros() + 1).await.unwrap(), 1);
    assert!(s.get(ids[0]).await.unwrap().is_none());
    let counts = s.counts().await.unwrap();
    assert!(counts.contains(&(Status::Pending, 4)), "{counts:?}");
    assert!(counts.contains(&(Status::Successful, 0)), "{counts:?}");
}

pub async fn finish_keeps_the_error_and_the_dropped_events(s: Shared) {
    let a = created(s.submit(spec(None, "a")).await.unwrap());
    let b = created(s.submit(spec(None, "b")).await.unwrap());
    assert_eq!((a.error.as_deref(), a.dropped_events), (None, 0));
    s.take("w").await.unwrap().unwrap();
    let mut end = Finish::failed(
        Reason::Rc,
        "Fail on localhost: ".to_string() + &"x".repeat(5000),
    );
    end.rc = Some(2);
    end.dropped_events = 3;
    let done = s.finish(a.id, end).await.unwrap().unwrap();
    let got = s.get(a.id).await.unwrap().unwrap();
    for job in [&done, &got] {
        assert_eq!((job.reason, job.dropped_events), (Some(Reason::Rc), 3));
        let error = job.error.as_deref().unwrap();
        assert!(error.starts_with("Fail on localhost: xxx"), "{error}");
        assert!(error.len() <= crate::model::ERROR_MAX, "{}", error.len());
    }
    let Cancel::Canceled(canceled) = s.cancel(b.id).await.unwrap() else {
        panic!("b was pending")
    };
    assert_eq!(canceled.error.as_deref(), Some("canceled while pending"));
    assert_eq!(
        s.get(b.id).await.unwrap().unwrap().error.as_deref(),
        Some("canceled while pending")
    );
}

/// A job whose stored form is damaged (`corrupt` spoils its spec in the store's own way) must not
/// block the queue nor the list: the take ends it `failed`/`corrupt` and takes the next one;
/// get and list show it. Its error names `what` (the part `corrupt` spoiled).
pub async fn a_damaged_pending_job_ends_corrupt_and_the_queue_goes_on<F, Fut>(
    s: Shared,
    corrupt: F,
    what: &str,
) where
    F: Fn(JobId) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let bad = created(s.submit(spec(None, "bad")).await.unwrap());
    let good = created(s.submit(spec(None, "good")).await.unwrap());
    corrupt(bad.id).await;
    let shown = s.get(bad.id).await.unwrap().unwrap();
    assert_eq!(
        (shown.status, shown.reason),
        (Status::Failed, Some(Reason::Corrupt))
    );
    let page = s
        .list(ListQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![good.id, bad.id]
    );
    // The Redis store's take answers "none" after ending the damaged job; the worker asks again.
    let mut taken = None;
    for _ in 0..3 {
        taken = s.take("w").await.unwrap();
        if taken.is_some() {
            break;
        }
    }
    assert_eq!(taken.map(|j| j.id), Some(good.id));
    let ended = s.get(bad.id).await.unwrap().unwrap();
    assert_eq!(
        (ended.status, ended.reason),
        (Status::Failed, Some(Reason::Corrupt))
    );
    let error = ended.error.unwrap_or_default();
    assert!(error.contains(what), "{error}");
    assert!(ended.finished_at.is_some());
    let counts = s.counts().await.unwrap();
    assert!(counts.contains(&(Status::Pending, 0)), "{counts:?}");
    assert!(counts.contains(&(Status::Failed, 1)), "{counts:?}");
}

/// A damaged job's stand-in is `failed`/`corrupt`: a list filtered by status shows it only under
/// that status, whatever status its record holds (before and after a take ends it).
pub async fn a_damaged_job_is_listed_only_under_the_status_it_shows<F, Fut>(s: Shared, corrupt: F)
where
    F: Fn(JobId) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let bad = created(s.submit(spec(None, "bad")).await.unwrap());
    let good = created(s.submit(spec(None, "good")).await.unwrap());
    corrupt(bad.id).await;
    let listed = |status: Option<Status>| {
        let s = s.clone();
        async move {
            let q = ListQuery {
                status,
                limit: 10,
                ..Default::default()
            };
            let page = s.list(q).await.unwrap();
            for j in &page.jobs {
                assert!(
                    status.is_none_or(|st| st == j.status),
                    "{j:?} under {status:?}"
                );
            }
            page.jobs.iter().map(|j| j.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(Some(Status::Pending)).await, vec![good.id]);
    assert_eq!(listed(None).await, vec![good.id, bad.id]);
    let mut taken = None;
    for _ in 0..3 {
        taken = s.take("w").await.unwrap();
        if taken.is_some() {
            break;
        }
    }
    assert_eq!(taken.map(|j| j.id), Some(good.id));
    assert_eq!(listed(Some(Status::Pending)).await, Vec::<JobId>::new());
    assert_eq!(listed(Some(Status::Failed)).await, vec![bad.id]);
    assert_eq!(listed(Some(Status::Running)).await, vec![good.id]);
}

/// `contract_tests!(make)`: `make(cap)` is an async fn giving `(guard, Shared)`.
/// The job keeps who submitted it, in `get` and `list`; another submitter of the same name and
/// payload attaches to it and does not replace it.
pub async fn the_submitter_is_kept_and_is_not_the_payload(s: Shared) {
    let mut first = spec(Some("who"), "hi");
    first.submitter = Some("ci".into());
    first.limit = Some("web*".into());
    first.tags = Some(vec!["a".into(), "b".into()]);
    first.timeout = Some(30);
    first.check = true;
    let job = created(s.submit(first.clone()).await.unwrap());
    let got = s.get(job.id).await.unwrap().unwrap();
    assert_eq!(got.spec, first);
    let listed = s
        .list(ListQuery {
            status: None,
            name: Some("who".into()),
            limit: 10,
            cursor: None,
        })
        .await
        .unwrap();
    assert_eq!(listed.jobs[0].spec.submitter.as_deref(), Some("ci"));
    let mut again = first.clone();
    again.submitter = Some("other".into());
    match s.submit(again).await.unwrap() {
        Submitted::Attached(j) => {
            assert_eq!(j.id, job.id);
            assert_eq!(j.spec.submitter.as_deref(), Some("ci"));
        }
        other => panic!("expected Attached, got {other:?}"),
    }
}

macro_rules! contract_tests {
    ($make:path) => {
        contract_tests!(@one $make, 1024, fifty_concurrent_submissions_of_one_name_create_one_job);
        contract_tests!(@one $make, 1024, a_name_held_with_another_payload_conflicts_and_restart_decides_after_the_end);
        contract_tests!(@one $make, 1024, take_is_fifo_and_finish_only_ends_running_jobs);
        contract_tests!(@one $make, 10, stdout_keeps_the_tail_and_reads_by_offset);
        contract_tests!(@one $make, 10, events_are_numbered_per_job);
        contract_tests!(@one $make, 10, cancel_pending_running_and_ended);
        contract_tests!(@one $make, 10, list_pages_newest_first_and_purge_spares_live_jobs);
        contract_tests!(@one $make, 1024, finish_keeps_the_error_and_the_dropped_events);
        contract_tests!(@one $make, 1024, the_submitter_is_kept_and_is_not_the_payload);
    };
    ($make:path, corrupt: $corrupt:path) => {
        contract_tests!($make);
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_damaged_pending_job_ends_corrupt_and_the_queue_goes_on() {
            let (guard, store) = $make(1024).await;
            $crate::store::contract::a_damaged_pending_job_ends_corrupt_and_the_queue_goes_on(
                store,
                |id| $corrupt(&guard, id),
                "spec",
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_damaged_job_is_listed_only_under_the_status_it_shows() {
            let (guard, store) = $make(1024).await;
            $crate::store::contract::a_damaged_job_is_listed_only_under_the_status_it_shows(
                store,
                |id| $corrupt(&guard, id),
            )
            .await;
        }
    };
    (@one $make:path, $cap:expr, $name:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let (_guard, store) = $make($cap).await;
            $crate::store::contract::$name(store).await;
        }
    };
}
pub(crate) use contract_tests;
