// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_alias under contention: 20 concurrent calls for one name on 20 running jobs, on a busy
//! machine, must give exactly one success per round (force: false).
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const CALLERS: usize = 20;
const ROUNDS: usize = 30;

/// Kills and reaps the helper processes this test started, even when an assertion fails.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A stand-in for the async wrapper's runner: a process-group leader whose argv holds
/// `async_wrapper.py <prefix>`, which is what liveness looks for. It waits on a builtin `read`
/// (no child process that could outlive it) until it is killed.
fn fake_wrapper(prefix: &str) -> Child {
    Command::new("sh")
        .args(["-c", "read x", "/x/async_wrapper.py", prefix, "600"])
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn busy_loop() -> Child {
    Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn spawn_alias(args_file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_async_alias"))
        .arg(args_file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn twenty_concurrent_calls_for_one_name_give_one_success() {
    let d = std::env::temp_dir().join(format!("async-alias-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let base = 700_000_000_000u64 + u64::from(std::process::id());
    let jids: Vec<String> = (0..CALLERS as u64)
        .map(|i| format!("j{}.{}", base + i * 1_000_000, i + 1))
        .collect();
    let mut helpers = Children(Vec::new());
    let mut args: Vec<PathBuf> = Vec::new();
    for jid in &jids {
        std::fs::write(d.join(jid), r#"{"started": 1, "finished": 0}"#).unwrap();
        helpers.0.push(fake_wrapper(jid.split('.').next().unwrap()));
        let file = d.with_extension(format!("{jid}.args"));
        let a = json!({"alias": "race", "jid": jid, "_async_dir": d.to_string_lossy()});
        std::fs::write(&file, a.to_string()).unwrap();
        args.push(file);
    }
    helpers.0.push(busy_loop());
    helpers.0.push(busy_loop());
    std::thread::sleep(std::time::Duration::from_millis(200));

    let mut bad_rounds = Vec::new();
    for round in 0..ROUNDS {
        let _ = std::fs::remove_file(d.join("jid_race"));
        let calls: Vec<Child> = args.iter().map(|a| spawn_alias(a)).collect();
        let results: Vec<Value> = calls
            .into_iter()
            .map(|c| serde_json::from_slice(&c.wait_with_output().unwrap().stdout).unwrap())
            .collect();
        let winners: Vec<&Value> = results
            .iter()
            .filter(|r| r["failed"] != json!(true) && r["changed"] == json!(true))
            .collect();
        let named = std::fs::read_link(d.join("jid_race")).unwrap();
        let winner_named = winners.len() == 1 && winners[0]["ansible_job_id"] == json!(named);
        if !winner_named {
            bad_rounds.push((round, winners.len()));
        }
        for r in results.iter().filter(|r| r["failed"] == json!(true)) {
            assert!(
                r["msg"].as_str().unwrap_or("").contains("still running"),
                "{r}"
            );
        }
    }
    drop(helpers);
    for a in &args {
        let _ = std::fs::remove_file(a);
    }
    std::fs::remove_dir_all(&d).unwrap();
    assert!(
        bad_rounds.is_empty(),
        "rounds (round, successes) without exactly one success that names the job: {bad_rounds:?}"
    );
}
