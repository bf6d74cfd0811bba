// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The async_task binary as the action plugin drives it: claim, wait, release, attach.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn run(dir: &Path, args: Value) -> Value {
    let mut args = args;
    args["_async_dir"] = json!(dir.to_string_lossy());
    if args.get("_claim_ttl").is_none() {
        // What the action plugin sends (CLAIM_TTL); tests of a stale claim send their own.
        args["_claim_ttl"] = json!(120);
    }
    let file = dir.with_extension(format!("args-{}", rand_suffix()));
    std::fs::write(&file, args.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_async_task"))
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn fresh_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("async-task-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn a_waiting_run_attaches_to_what_the_holder_started_even_once_it_is_gone() {
    let d = fresh_dir("waiter");
    let claim = |token: &str, after: Option<&str>| {
        let mut a = json!({"alias": "nightly", "_mode": "claim", "_token": token});
        if let Some(after) = after {
            a["_after"] = json!(after);
        }
        run(&d, a)
    };
    assert_eq!(claim("aaaaaaaa", None)["action"], "start");
    let waiting = claim("bbbbbbbb", None);
    assert_eq!(waiting["action"], "wait");
    assert_eq!(waiting["claim_holder"], "aaaaaaaa");

    // The holder's job writes its file; the release names it.
    std::fs::write(d.join("j7.7"), r#"{"rc": 0, "stdout": "done"}"#).unwrap();
    let released = run(
        &d,
        json!({"alias": "nightly", "_mode": "release", "_token": "aaaaaaaa", "_jid": "j7.7"}),
    );
    assert_eq!(released["changed"], true, "{released}");
    assert_eq!(
        std::fs::read_link(d.join("jid_nightly")).unwrap(),
        PathBuf::from("j7.7")
    );

    // The job finishes and the holder cleans everything up before the waiter looks again.
    std::fs::remove_file(d.join("j7.7")).unwrap();
    std::fs::remove_file(d.join("jid_nightly")).unwrap();
    let attached = claim("bbbbbbbb", Some("aaaaaaaa"));
    assert_eq!(attached["action"], "attach", "{attached}");
    assert_eq!(attached["ansible_job_id"], "j7.7");
    assert!(attached.get("job").is_none());

    // A run that never waited on "a" may start the command again: the name is free.
    assert_eq!(claim("cccccccc", None)["action"], "start");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn release_waits_for_the_job_file_before_naming_it() {
    let d = fresh_dir("file");
    let claimed = run(
        &d,
        json!({"alias": "slow", "_mode": "claim", "_token": "aaaaaaaa"}),
    );
    assert_eq!(claimed["action"], "start");
    let job = d.join("j8.8");
    // Written a while after the start, as by a wrapper on a busy host.
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        std::fs::write(job, r#"{"started": 1, "finished": 0}"#).unwrap();
    });
    let released = run(
        &d,
        json!({"alias": "slow", "_mode": "release", "_token": "aaaaaaaa", "_jid": "j8.8"}),
    );
    // Checked before joining the writer: the release itself waited for the file.
    assert!(d.join("j8.8").exists(), "named before the job file existed");
    writer.join().unwrap();
    assert_eq!(released["changed"], true, "{released}");
    assert!(released.get("warnings").is_none(), "{released}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_token_that_is_not_lowercase_hex_is_refused_before_anything_is_written() {
    let d = fresh_dir("token");
    std::fs::create_dir_all(&d).unwrap();
    // With whitespace the old claim file read back as an already released claim ("<token> <jid>")
    // and a second run started the job too.
    for bad in [
        "aaaaaaaa bbbbbbbb",
        "aaaaaaaa\tb",
        "AAAAAAAA",
        "aaaa",
        "../aaaaaaaa",
    ] {
        let r = run(&d, json!({"alias": "tok", "_mode": "claim", "_token": bad}));
        assert_eq!(r["failed"], true, "{bad:?}: {r}");
        assert!(
            r["msg"].as_str().unwrap().contains("invalid claim token"),
            "{r}"
        );
        let r = run(
            &d,
            json!({"alias": "tok", "_mode": "claim", "_token": "cccccccc", "_after": bad}),
        );
        assert_eq!(r["failed"], true, "_after {bad:?}: {r}");
    }
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
    let first = run(
        &d,
        json!({"alias": "tok", "_mode": "claim", "_token": "cccccccc"}),
    );
    assert_eq!(first["action"], "start");
    let second = run(
        &d,
        json!({"alias": "tok", "_mode": "claim", "_token": "dddddddd"}),
    );
    assert_eq!(second["action"], "wait", "{second}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_release_without_the_claim_answers_at_once() {
    let d = fresh_dir("noclaim");
    std::fs::create_dir_all(&d).unwrap();
    let start = Instant::now();
    // No claim at all, and a job file that never appears: nothing to wait for.
    let r = run(
        &d,
        json!({"alias": "free", "_mode": "release", "_token": "aaaaaaaa", "_jid": "j9.9"}),
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r["failed"], true, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("taken over"), "{r}");
    assert!(d.join("jid_free").symlink_metadata().is_err());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_release_waiting_for_its_job_file_blocks_nobody() {
    let d = fresh_dir("noblock");
    let claimed = run(
        &d,
        json!({"alias": "slow", "_mode": "claim", "_token": "aaaaaaaa"}),
    );
    assert_eq!(claimed["action"], "start");
    let releaser = {
        let d = d.clone();
        std::thread::spawn(move || {
            run(
                &d,
                json!({"alias": "slow", "_mode": "release", "_token": "aaaaaaaa", "_jid": "j5.5"}),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    // While the release waits for j5.5, other runs take the same lock and must not wait for it.
    let start = Instant::now();
    let other = run(
        &d,
        json!({"alias": "other", "_mode": "claim", "_token": "bbbbbbbb"}),
    );
    let same = run(
        &d,
        json!({"alias": "slow", "_mode": "claim", "_token": "cccccccc"}),
    );
    let took = start.elapsed();
    std::fs::write(d.join("j5.5"), r#"{"started": 1, "finished": 0}"#).unwrap();
    let released = releaser.join().unwrap();
    assert!(
        took < Duration::from_secs(2),
        "claims waited {took:?} for a release"
    );
    assert_eq!(other["action"], "start", "{other}");
    assert_eq!(same["action"], "wait", "{same}");
    assert_eq!(released["changed"], true, "{released}");
    assert_eq!(
        std::fs::read_link(d.join("jid_slow")).unwrap(),
        PathBuf::from("j5.5")
    );
    std::fs::remove_dir_all(&d).unwrap();
}
