// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The filesystem store never follows anything planted below the state dir: a symlinked host or
//! playbook directory, a symlinked record, a FIFO or a hard link in a record's place. Someone who
//! can write into a shared state dir must not make a save write, a load read, or a delete remove
//! a file outside it. Each test checks that the outside file is unchanged (or never created) and
//! that the error names the path.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use records::{FsStore, Record, RecordKey, RecordStore, SaveMode, SaveOutcome, Stored};
use serde_json::Map;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// A fresh `<tmp>/<tag>` holding `state/` (the store) and `outside/` (what must stay untouched).
fn setup(tag: &str) -> (PathBuf, PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("records-confine-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let state = base.join("state");
    let outside = base.join("outside");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    (base, state, outside)
}

fn key() -> RecordKey {
    RecordKey::new("h", "p", "j").unwrap()
}

fn record(jid: &str) -> Record {
    Record {
        job_name: "j".into(),
        host: "h".into(),
        ansible_job_id: Some(jid.into()),
        save_time: "2030-01-01T00:00:00Z".into(),
        metadata: Map::new(),
    }
}

const CLAIM: SaveMode = SaveMode::IfAbsent {
    stale_claim_after: None,
};

/// Every file below `dir`, with its content, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn assert_unsafe(err: String, path: &Path) {
    assert!(
        err.contains(&path.display().to_string()) && err.contains("symbolic link"),
        "the error must name {} and say it is a symbolic link: {err}",
        path.display()
    );
}

/// A claim's error: the save that must neither read through a link nor take the name for free.
fn claim_err(store: &FsStore) -> String {
    store
        .save(&key(), &record("j1.1"), CLAIM)
        .unwrap_err()
        .to_string()
}

/// Load, save, claim and delete all refuse, each naming the link.
fn every_operation_is_refused(store: &FsStore, link: &Path) {
    assert_unsafe(store.load(&key()).unwrap_err().to_string(), link);
    assert_unsafe(
        store
            .save(&key(), &record("j1.1"), SaveMode::Overwrite)
            .unwrap_err()
            .to_string(),
        link,
    );
    assert_unsafe(claim_err(store), link);
    assert_unsafe(store.delete(&key()).unwrap_err().to_string(), link);
}

/// The outside dir holds a real, valid record where the link points, so that following the link
/// would visibly succeed.
fn plant_outside_record(outside: &Path) -> PathBuf {
    let file = outside.join("p").join("j.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, record("victim.1").to_text()).unwrap();
    file
}

#[test]
fn symlinked_host_dir_is_never_followed() {
    let (base, state, outside) = setup("host");
    plant_outside_record(&outside);
    symlink(&outside, state.join("h")).unwrap();
    let before = snapshot(&outside);
    let store = FsStore::new(&state);
    let link = state.join("h");

    every_operation_is_refused(&store, &link);

    assert_eq!(snapshot(&outside), before, "the outside dir was changed");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn symlinked_playbook_dir_is_never_followed() {
    // The playbook dir is also what writers flock: the lock must not be taken through a link.
    let (base, state, outside) = setup("playbook");
    plant_outside_record(&outside);
    std::fs::create_dir_all(state.join("h")).unwrap();
    symlink(outside.join("p"), state.join("h/p")).unwrap();
    let before = snapshot(&outside);
    let store = FsStore::new(&state);
    let link = state.join("h/p");

    every_operation_is_refused(&store, &link);

    assert_eq!(snapshot(&outside), before, "the outside dir was changed");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn symlinked_record_is_damaged_and_only_the_link_is_removed() {
    let (base, state, outside) = setup("record");
    let target = plant_outside_record(&outside);
    std::fs::create_dir_all(state.join("h/p")).unwrap();
    let store = FsStore::new(&state);
    let link = store.path(&key());
    symlink(&target, &link).unwrap();
    let before = snapshot(&outside);

    // Load: the target is a valid record, and must not be read.
    let err = store.load(&key()).unwrap_err().to_string();
    assert_unsafe(err.clone(), &link);
    assert!(err.contains("damaged"), "{err}");
    assert!(matches!(
        store.inspect(&key()).unwrap(),
        Stored::Damaged { text: None, .. }
    ));
    // Claim: must neither read the target nor take the name for free.
    assert_unsafe(claim_err(&store), &link);
    assert_eq!(snapshot(&outside), before, "the outside dir was changed");

    // state: absent removes the link itself.
    assert!(store.delete(&key()).unwrap());
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is gone"
    );
    assert_eq!(
        snapshot(&outside),
        before,
        "the target was removed or changed"
    );

    // A plain save over a link replaces the link, never writes through it.
    symlink(&target, &link).unwrap();
    assert_eq!(
        store
            .save(&key(), &record("j2.2"), SaveMode::Overwrite)
            .unwrap(),
        SaveOutcome::Written
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(
        snapshot(&outside),
        before,
        "the save wrote through the link"
    );
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn dangling_record_link_is_not_missing_and_creates_nothing() {
    let (base, state, outside) = setup("dangling");
    std::fs::create_dir_all(state.join("h/p")).unwrap();
    let store = FsStore::new(&state);
    let link = store.path(&key());
    let target = outside.join("created-by-the-store");
    symlink(&target, &link).unwrap();

    // A link to nothing is still something in the record's place: never "not found".
    assert_unsafe(store.load(&key()).unwrap_err().to_string(), &link);
    assert_unsafe(claim_err(&store), &link);
    assert!(!target.exists(), "a file was created outside");
    assert!(store.delete(&key()).unwrap());
    assert!(!target.exists());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn hard_linked_record_is_not_read() {
    // A second name for some other file (protected_hardlinks off, or a file of the attacker's
    // own): loading it would show that file's content in errors and diffs.
    let (base, state, outside) = setup("hardlink");
    let target = plant_outside_record(&outside);
    std::fs::create_dir_all(state.join("h/p")).unwrap();
    let store = FsStore::new(&state);
    std::fs::hard_link(&target, store.path(&key())).unwrap();

    let err = store.load(&key()).unwrap_err().to_string();
    assert!(err.contains("hard link") && err.contains("j.json"), "{err}");
    assert!(matches!(
        store.inspect(&key()).unwrap(),
        Stored::Damaged { text: None, .. }
    ));
    assert!(store.delete(&key()).unwrap());
    assert!(target.exists(), "only the store's name was removed");
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn fifo_in_place_of_a_record_does_not_hang() {
    let (base, state, _outside) = setup("fifo");
    std::fs::create_dir_all(state.join("h/p")).unwrap();
    let store = FsStore::new(&state);
    let path = store.path(&key());
    nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();

    let (tx, rx) = mpsc::channel();
    let st = state.clone();
    std::thread::spawn(move || {
        let _ = tx.send(FsStore::new(&st).load(&key()).map_err(|e| e.to_string()));
    });
    let err = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("load blocked on a FIFO")
        .unwrap_err();
    assert!(
        err.contains("not a regular file") && err.contains("j.json"),
        "{err}"
    );
    assert!(store.delete(&key()).unwrap());
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn directory_in_place_of_a_record_is_not_removed() {
    let (base, state, _outside) = setup("dir");
    let store = FsStore::new(&state);
    let path = store.path(&key());
    std::fs::create_dir_all(path.join("keep")).unwrap();
    let err = store.delete(&key()).unwrap_err().to_string();
    assert!(err.contains("j.json") && err.contains("directory"), "{err}");
    assert!(path.join("keep").is_dir());
    std::fs::remove_dir_all(&base).unwrap();
}
