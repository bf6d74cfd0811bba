// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Every host module on an alias planted to lead out of the async dir: a clear failure naming the
//! link, nothing read through it, nothing deleted. And a symlink in place of a job file is damage,
//! never followed.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(bin: &str, dir: &Path, mut args: Value) -> Value {
    args["_async_dir"] = json!(dir.to_string_lossy());
    let file = dir.with_extension(format!(
        "{}.args",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::write(&file, args.to_string()).unwrap();
    let out = Command::new(bin).arg(&file).output().unwrap();
    std::fs::remove_file(&file).unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Layout {
    root: PathBuf,
    dir: PathBuf,
    outside: PathBuf,
}

fn layout(tag: &str) -> Layout {
    let root = std::env::temp_dir().join(format!("confine-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("async");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    let outside = root.join("elsewhere/j1.1");
    std::fs::write(&outside, r#"{"rc": 0, "stdout": "SECRET"}"#).unwrap();
    Layout { root, dir, outside }
}

fn assert_refused(what: &str, r: &Value, link: &str) {
    assert_eq!(r["failed"], true, "{what}: {r}");
    let msg = r["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains("broken alias") && msg.contains(link),
        "{what}: {msg}"
    );
    assert!(
        !r.to_string().contains("SECRET"),
        "{what} read through the link: {r}"
    );
    assert_ne!(r["changed"], true, "{what}: {r}");
}

#[test]
fn no_module_follows_an_alias_out_of_the_async_dir() {
    let l = layout("alias");
    let targets = [
        ("rel", PathBuf::from("../elsewhere/j1.1")),
        ("abs", l.outside.clone()),
    ];
    for (name, target) in &targets {
        let link = format!("jid_{name}");
        symlink(target, l.dir.join(&link)).unwrap();
        for mode in ["status", "cleanup", "full_cleanup"] {
            let r = run(
                env!("CARGO_BIN_EXE_async_status_id"),
                &l.dir,
                json!({"alias": name, "mode": mode}),
            );
            assert_refused(&format!("async_status_id {mode} {name}"), &r, &link);
        }
        let r = run(
            env!("CARGO_BIN_EXE_async_kill"),
            &l.dir,
            json!({"alias": name}),
        );
        assert_refused(&format!("async_kill {name}"), &r, &link);
        let r = run(
            env!("CARGO_BIN_EXE_async_task"),
            &l.dir,
            json!({"alias": name, "_mode": "claim", "_token": "abcdef0123456789", "_claim_ttl": 120}),
        );
        assert_refused(&format!("async_task {name}"), &r, &link);
        assert_eq!(std::fs::read_link(l.dir.join(&link)).unwrap(), *target);
    }
    // full_cleanup by jid only removes links that name the job inside the dir.
    std::fs::write(l.dir.join("j1.1"), r#"{"rc": 0}"#).unwrap();
    let r = run(
        env!("CARGO_BIN_EXE_async_status_id"),
        &l.dir,
        json!({"jid": "j1.1", "mode": "full_cleanup"}),
    );
    assert_eq!(r["removed"], json!([l.dir.join("j1.1")]), "{r}");
    assert!(l.outside.exists());
    assert!(l.dir.join("jid_rel").symlink_metadata().is_ok());

    // async_alias refuses to move a broken alias unless forced; forced, it replaces the link only.
    std::fs::write(l.dir.join("j2.2"), r#"{"rc": 0}"#).unwrap();
    let refused = run(
        env!("CARGO_BIN_EXE_async_alias"),
        &l.dir,
        json!({"alias": "rel", "jid": "j2.2"}),
    );
    assert_refused("async_alias rel", &refused, "jid_rel");
    let forced = run(
        env!("CARGO_BIN_EXE_async_alias"),
        &l.dir,
        json!({"alias": "rel", "jid": "j2.2", "force": true}),
    );
    assert_eq!(forced["changed"], true, "{forced}");
    assert_eq!(
        std::fs::read_link(l.dir.join("jid_rel")).unwrap(),
        PathBuf::from("j2.2")
    );
    assert!(l.outside.exists());
    std::fs::remove_dir_all(&l.root).unwrap();
}

#[test]
fn a_symlink_in_place_of_a_job_file_is_damage_not_followed() {
    let l = layout("jobfile");
    symlink(&l.outside, l.dir.join("j3.3")).unwrap();
    let r = run(
        env!("CARGO_BIN_EXE_async_status_id"),
        &l.dir,
        json!({"jid": "j3.3"}),
    );
    assert_eq!(r["failed"], true, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("is damaged"), "{r}");
    assert!(!r.to_string().contains("SECRET"), "{r}");
    // Removing it removes the link, not what it points to.
    let r = run(
        env!("CARGO_BIN_EXE_async_status_id"),
        &l.dir,
        json!({"jid": "j3.3", "mode": "full_cleanup"}),
    );
    assert_eq!(r["changed"], true, "{r}");
    assert!(l.dir.join("j3.3").symlink_metadata().is_err());
    assert!(l.outside.exists());
    std::fs::remove_dir_all(&l.root).unwrap();
}
