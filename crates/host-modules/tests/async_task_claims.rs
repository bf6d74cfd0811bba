//! The async_task binary as the action plugin drives it: claim, wait, release, attach.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(dir: &Path, args: Value) -> Value {
    let mut args = args;
    args["_async_dir"] = json!(dir.to_string_lossy());
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
    assert_eq!(claim("a", None)["action"], "start");
    let waiting = claim("b", None);
    assert_eq!(waiting["action"], "wait");
    assert_eq!(waiting["claim_holder"], "a");

    // The holder's job writes its file; the release names it.
    std::fs::write(d.join("j7.7"), r#"{"rc": 0, "stdout": "done"}"#).unwrap();
    let released = run(
        &d,
        json!({"alias": "nightly", "_mode": "release", "_token": "a", "_jid": "j7.7"}),
    );
    assert_eq!(released["changed"], true, "{released}");
    assert_eq!(
        std::fs::read_link(d.join("jid_nightly")).unwrap(),
        PathBuf::from("j7.7")
    );

    // The job finishes and the holder cleans everything up before the waiter looks again.
    std::fs::remove_file(d.join("j7.7")).unwrap();
    std::fs::remove_file(d.join("jid_nightly")).unwrap();
    let attached = claim("b", Some("a"));
    assert_eq!(attached["action"], "attach", "{attached}");
    assert_eq!(attached["ansible_job_id"], "j7.7");
    assert!(attached.get("job").is_none());

    // A run that never waited on "a" may start the command again: the name is free.
    assert_eq!(claim("c", None)["action"], "start");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn release_waits_for_the_job_file_before_naming_it() {
    let d = fresh_dir("file");
    let claimed = run(
        &d,
        json!({"alias": "slow", "_mode": "claim", "_token": "a"}),
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
        json!({"alias": "slow", "_mode": "release", "_token": "a", "_jid": "j8.8"}),
    );
    // Checked before joining the writer: the release itself waited for the file.
    assert!(d.join("j8.8").exists(), "named before the job file existed");
    writer.join().unwrap();
    assert_eq!(released["changed"], true, "{released}");
    assert!(released.get("warnings").is_none(), "{released}");
    std::fs::remove_dir_all(&d).unwrap();
}
