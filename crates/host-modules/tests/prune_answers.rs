// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_prune and async_job_info as the binaries answer: what a prune that could not remove
//! everything reports, and a read-only inventory that writes nothing.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn run(bin: &str, dir: &Path, args: Value) -> Value {
    run_as(bin, dir, args, None)
}

/// Runs `bin` as `uid` (and the same gid) when given: root unlinks in a read-only dir, so a
/// removal that fails needs a user who cannot.
fn run_as(bin: &str, dir: &Path, mut args: Value, uid: Option<u32>) -> Value {
    use std::os::unix::process::CommandExt;
    args["_async_dir"] = json!(dir.to_string_lossy());
    let file = dir.with_extension(format!(
        "{}.args",
        SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    fs::write(&file, args.to_string()).unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg(&file);
    if let Some(id) = uid {
        cmd.uid(id).gid(id);
    }
    let out = cmd.output().unwrap();
    fs::remove_file(&file).unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fresh(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prune-answers-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn set_mtime(path: &Path, t: SystemTime) {
    fs::File::open(path).unwrap().set_modified(t).unwrap();
}

fn strings(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    s.sort();
    s
}

const NOBODY: u32 = 65_534;
const PRUNE: &str = env!("CARGO_BIN_EXE_async_prune");

#[test]
fn a_leftover_dir_neither_fails_the_prune_nor_is_promised() {
    let d = fresh("dir");
    fs::write(d.join("j1.1"), r#"{"rc": 0}"#).unwrap();
    fs::create_dir(d.join("j1.1.tmp")).unwrap();
    set_mtime(
        &d.join("j1.1"),
        SystemTime::now() - Duration::from_secs(7200),
    );
    let args = json!({"older_than": "1h"});
    let mut check = args.clone();
    check["_ansible_check_mode"] = json!(true);
    let would = run(PRUNE, &d, check);
    assert_eq!(strings(&would["removed"]), ["j1.1"], "{would}");
    let r = run(PRUNE, &d, args);
    assert_ne!(r["failed"], true, "{r}");
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(strings(&r["removed"]), ["j1.1"], "{r}");
    assert_eq!(r["failed_paths"], json!([]), "{r}");
    assert_eq!(r["jobs"][0]["jid"], "j1.1", "{r}");
    assert!(d.join("j1.1.tmp").is_dir());
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_prune_that_cannot_remove_fails_and_says_truthfully_what_went() {
    let d = fresh("ro");
    fs::write(d.join("j1.1"), r#"{"rc": 0}"#).unwrap();
    symlink("j1.1", d.join("jid_a")).unwrap();
    let old = SystemTime::now() - Duration::from_secs(7200);
    set_mtime(&d.join("j1.1"), old);
    // Root unlinks in a read-only dir: as root, the dir and the run go to nobody.
    let uid = nix::unistd::Uid::effective().is_root().then_some(NOBODY);
    if let Some(id) = uid {
        for p in ["", "j1.1", "jid_a"] {
            std::os::unix::fs::lchown(d.join(p), Some(id), Some(id)).unwrap();
        }
    }
    // The lock file exists first, so the prune gets as far as its removals.
    let first = run_as(PRUNE, &d, json!({"older_than": "1d"}), uid);
    assert_eq!(first["changed"], false, "{first}");
    fs::set_permissions(&d, fs::Permissions::from_mode(0o555)).unwrap();
    let r = run_as(PRUNE, &d, json!({"older_than": "1h"}), uid);
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(r["changed"], false, "{r}");
    assert_eq!(r["removed"], json!([]), "{r}");
    assert_eq!(strings(&r["failed_paths"]), ["j1.1", "jid_a"], "{r}");
    assert_eq!(
        r["jobs"],
        json!([]),
        "nothing went, so no job is listed: {r}"
    );
    let msg = r["msg"].as_str().unwrap();
    assert!(
        msg.contains("could not remove") && msg.contains("nothing was removed"),
        "{msg}"
    );
    assert!(d.join("j1.1").exists() && d.join("jid_a").symlink_metadata().is_ok());
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn async_job_info_leaves_a_future_claim_mtime_alone() {
    let d = fresh("info");
    let claim = d.join(".jid_nightly.claim");
    fs::write(
        &claim,
        "rstyczynski.ansible async_task claim v1\ntoken aaaaaaaa01\n",
    )
    .unwrap();
    let ahead = SystemTime::now() + Duration::from_secs(86_400);
    fs::File::options()
        .write(true)
        .open(&claim)
        .unwrap()
        .set_modified(ahead)
        .unwrap();
    let r = run(env!("CARGO_BIN_EXE_async_job_info"), &d, json!({}));
    assert_ne!(r["failed"], true, "{r}");
    let mut check = json!({"older_than": "0s"});
    check["_ansible_check_mode"] = json!(true);
    let p = run(PRUNE, &d, check);
    assert_ne!(p["failed"], true, "{p}");
    assert_eq!(claim.metadata().unwrap().modified().unwrap(), ahead);
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn full_cleanup_leaves_a_leftover_dir_alone_and_removes_the_rest() {
    let d = fresh("full");
    fs::write(d.join("j1.1"), r#"{"rc": 0, "finished": 1}"#).unwrap();
    symlink("j1.1", d.join("jid_a")).unwrap();
    fs::create_dir(d.join("j1.1.tmp")).unwrap();
    fs::write(d.join("j1.1.kill"), "").unwrap();
    let r = run(
        env!("CARGO_BIN_EXE_async_status_id"),
        &d,
        json!({"alias": "a", "mode": "full_cleanup"}),
    );
    assert_ne!(r["failed"], true, "{r}");
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        strings(&r["removed"]),
        ["j1.1", "j1.1.kill", "jid_a"],
        "{r}"
    );
    assert!(d.join("j1.1.tmp").is_dir());
    fs::remove_dir_all(&d).unwrap();
}
