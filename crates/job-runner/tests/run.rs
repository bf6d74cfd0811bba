// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The runner against real processes: /bin/sh scripts in a temporary directory.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use job_runner::{kill_group_if_same, process_start_time, run, End, Msg, Outcome, Spec};
use serde_json::json;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A directory removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("job-runner-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p.canonicalize().unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
    pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
}

/// A spec that runs `script` with /bin/sh (run as an argument, not executed itself: a script
/// still open for writing in a concurrently forked test would give ETXTBSY).
fn sh(dir: &TempDir, script: &str) -> Spec {
    let path = dir.0.join("script.sh");
    std::fs::write(&path, script).unwrap();
    Spec {
        program: "/bin/sh".into(),
        args: vec![path.into()],
        cwd: dir.0.clone(),
        env: env(&[("PATH", "/usr/bin:/bin")]),
        timeout: None,
        grace: Duration::from_secs(2),
        events_fd: false,
        max_event_line: job_runner::MAX_EVENT_LINE,
        open_files: None,
    }
}

async fn collect(spec: Spec, cancel: CancellationToken) -> (Outcome, Vec<Msg>) {
    let (tx, mut rx) = mpsc::channel(16);
    let msgs = tokio::spawn(async move {
        let mut v = Vec::new();
        while let Some(m) = rx.recv().await {
            v.push(m);
        }
        v
    });
    let outcome = run(spec, tx, cancel).await;
    (outcome, msgs.await.unwrap())
}

async fn run_sh(dir: &TempDir, spec: Spec) -> (Outcome, Vec<Msg>) {
    let _keep = dir;
    collect(spec, CancellationToken::new()).await
}

fn output(msgs: &[Msg]) -> Vec<u8> {
    msgs.iter()
        .filter_map(|m| match m {
            Msg::Output(b) => Some(b.as_slice()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

fn text(msgs: &[Msg]) -> String {
    String::from_utf8(output(msgs)).unwrap()
}

fn started_pid(msgs: &[Msg]) -> u32 {
    match msgs.first() {
        Some(Msg::Started { pid, start_time }) => {
            assert!(*start_time > 0);
            *pid
        }
        other => panic!("first message is not Started: {other:?}"),
    }
}

/// Processes of group `pgid` that still run. Zombies are dead: they wait for their reaper, which
/// for orphans is init, not us.
fn live_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 1..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let live = !matches!(f.first()?.chars().next()?, 'Z' | 'X');
            (live && f.get(2)?.parse::<u32>().ok()? == pgid).then_some(pid)
        })
        .collect()
}

fn is_live(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !matches!(s[s.rfind(')').unwrap() + 2..].chars().next(), Some('Z')))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_and_stderr_share_one_stream_in_order() {
    let dir = TempDir::new();
    let spec = sh(&dir, "echo one\necho two >&2\necho three\necho four >&2\n");
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0));
    assert_eq!(o.rc, Some(0));
    started_pid(&msgs);
    assert_eq!(text(&msgs), "one\ntwo\nthree\nfour\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_output_arrives_whole_and_in_order() {
    let dir = TempDir::new();
    let spec = sh(&dir, "seq 1 3000000 | head -c 20000000\n");
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0));
    let want: String = (1..=3_000_000).map(|i| format!("{i}\n")).collect();
    let got = output(&msgs);
    assert_eq!(got.len(), 20_000_000);
    assert!(got == want.as_bytes()[..20_000_000], "output differs");
    assert!(msgs.iter().all(|m| match m {
        Msg::Output(b) => !b.is_empty() && b.len() <= 64 * 1024,
        _ => true,
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_from_fd_3() {
    let dir = TempDir::new();
    let script = r#"
printf '{"event":"one","n":1}\n' >&3
echo 'not json' >&3
printf '[1,2]\n' >&3
# a valid object over 1 MiB: dropped for its length alone
printf '{"event":"big","pad":"' >&3; head -c 1100000 /dev/zero | tr '\0' x >&3; printf '"}\n' >&3
# just under the cap: kept
printf '{"event":"near","pad":"' >&3; head -c 1000000 /dev/zero | tr '\0' y >&3; printf '"}\n' >&3
echo output
printf '{"event":"last"}' >&3
"#;
    let mut spec = sh(&dir, script);
    spec.events_fd = true;
    spec.max_event_line = 1024 * 1024;
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0), "{}", text(&msgs));
    assert_eq!(o.bad_event_lines, 3);
    let names: Vec<&str> = msgs
        .iter()
        .filter_map(|m| match m {
            Msg::Event(v) => v["event"].as_str(),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["one", "near", "last"]);
    assert!(msgs.contains(&Msg::Event(json!({"event": "one", "n": 1}))));
    assert_eq!(text(&msgs), "output\n");
}

/// The stats of 12,000 hosts make a line of about 1.5 MB: the default limit keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stats_line_of_twelve_thousand_hosts_is_kept_by_default() {
    let dir = TempDir::new();
    let script = r#"
python3 - <<'EOF' >&3
import json
counts = {"ok": 1, "changed": 0, "failures": 0, "unreachable": 0, "skipped": 0, "rescued": 0, "ignored": 0}
hosts = {"host-%05d.example.internal" % i: counts for i in range(12000)}
print(json.dumps({"event": "playbook_on_stats", "stats": hosts}))
EOF
"#;
    let mut spec = sh(&dir, script);
    spec.events_fd = true;
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0), "{}", text(&msgs));
    assert_eq!(o.bad_event_lines, 0);
    let stats = msgs.iter().find_map(|m| match m {
        Msg::Event(v) => v["stats"].as_object().map(|s| s.len()),
        _ => None,
    });
    assert_eq!(stats, Some(12000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fd_3_only_when_asked() {
    let script = "if [ -e /proc/self/fd/3 ]; then echo fd3; else echo none; fi\n";
    for (asked, want) in [(false, "none\n"), (true, "fd3\n")] {
        let dir = TempDir::new();
        let mut spec = sh(&dir, script);
        spec.events_fd = asked;
        let (o, msgs) = run_sh(&dir, spec).await;
        assert_eq!(o.end, End::Exited(0));
        assert_eq!(text(&msgs), want, "events_fd={asked}");
    }
}

/// A descriptor the service left inheritable (a library that forgot O_CLOEXEC) does not reach
/// the child: only 0-2, and 3 when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inheritable_descriptors_of_the_parent_do_not_leak() {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    use std::os::fd::AsRawFd;
    let leaked = std::fs::File::open("/dev/null").unwrap();
    fcntl(&leaked, FcntlArg::F_SETFD(FdFlag::empty())).unwrap();
    let n = leaked.as_raw_fd();
    let dir = TempDir::new();
    let script = format!("if [ -e /proc/self/fd/{n} ]; then echo leaked; else echo none; fi\n");
    for asked in [false, true] {
        let mut spec = sh(&dir, &script);
        spec.events_fd = asked;
        let (o, msgs) = run_sh(&dir, spec).await;
        assert_eq!(o.end, End::Exited(0));
        assert_eq!(text(&msgs), "none\n", "fd {n}, events_fd={asked}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_is_exactly_the_given_one() {
    std::env::set_var("JOB_RUNNER_LEAK", "1");
    let dir = TempDir::new();
    let spec = Spec {
        program: "/usr/bin/env".into(),
        args: vec![],
        env: env(&[("FOO", "bar baz"), ("ZED", "1")]),
        ..sh(&dir, "")
    };
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0));
    assert_eq!(text(&msgs), "FOO=bar baz\nZED=1\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_child_gets_the_open_file_limit_asked_for() {
    let dir = TempDir::new();
    let spec = Spec {
        open_files: Some(200),
        ..sh(&dir, "ulimit -Sn")
    };
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0));
    assert_eq!(text(&msgs), "200\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn working_directory_is_honoured() {
    let dir = TempDir::new();
    let sub = dir.0.join("sub dir");
    std::fs::create_dir(&sub).unwrap();
    let spec = Spec {
        program: "/bin/pwd".into(),
        args: vec!["-P".into()],
        cwd: sub.clone(),
        ..sh(&dir, "")
    };
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!(o.end, End::Exited(0));
    assert_eq!(text(&msgs), format!("{}\n", sub.display()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_signals() {
    for (script, end, rc) in [
        ("exit 0\n", End::Exited(0), Some(0)),
        ("exit 7\n", End::Exited(7), Some(7)),
        ("kill -KILL $$\n", End::Signaled(9), None),
        ("kill -USR1 $$\n", End::Signaled(10), None),
    ] {
        let dir = TempDir::new();
        let (o, _) = run_sh(&dir, sh(&dir, script)).await;
        assert_eq!((o.end, o.rc), (end, rc), "{script}");
    }
}

/// Starts `spec`, waits for `ready` in its output, then cancels: returns the outcome, the
/// leader's pid and how long the outcome took after the cancel.
async fn cancel_when_ready(spec: Spec) -> (Outcome, u32, Duration) {
    let (tx, mut rx) = mpsc::channel(16);
    let cancel = CancellationToken::new();
    let handle = tokio::spawn(run(spec, tx, cancel.clone()));
    let mut pid = 0;
    let mut seen = Vec::new();
    while let Some(m) = rx.recv().await {
        match m {
            Msg::Started { pid: p, .. } => pid = p,
            Msg::Output(b) => seen.extend(b),
            Msg::Event(_) => {}
        }
        if seen.ends_with(b"ready\n") {
            break;
        }
    }
    assert!(seen.ends_with(b"ready\n"), "never ready: {seen:?}");
    // The script's background children exist before it says ready.
    assert!(live_members(pid).len() >= 3, "{:?}", live_members(pid));
    let t = Instant::now();
    cancel.cancel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let o = handle.await.unwrap();
    let took = t.elapsed();
    drain.await.unwrap();
    (o, pid, took)
}

const CHILDREN: &str = "sleep 300 &\nsleep 300 &\necho ready\nwait\n";
/// TERM is ignored by the shell and, inherited, by its children: only KILL ends them.
const DEAF_CHILDREN: &str = "trap '' TERM\nsleep 300 &\nsleep 300 &\necho ready\nwait\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_terms_the_whole_group() {
    let dir = TempDir::new();
    let mut spec = sh(&dir, CHILDREN);
    spec.grace = Duration::from_secs(5);
    let (o, pid, took) = cancel_when_ready(spec).await;
    assert_eq!((o.end, o.rc), (End::Canceled, None));
    assert!(
        took < Duration::from_secs(2),
        "TERM was enough, took {took:?}"
    );
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_what_ignores_term_after_grace() {
    let dir = TempDir::new();
    let spec = sh(&dir, DEAF_CHILDREN);
    let grace = spec.grace;
    let (o, pid, took) = cancel_when_ready(spec).await;
    assert_eq!((o.end, o.rc), (End::Canceled, None));
    assert!(took >= grace, "KILL came before the grace ended: {took:?}");
    assert!(took <= grace + Duration::from_secs(1), "took {took:?}");
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_terms_the_whole_group() {
    let dir = TempDir::new();
    let mut spec = sh(&dir, CHILDREN);
    spec.timeout = Some(Duration::from_secs(1));
    spec.grace = Duration::from_secs(5);
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!((o.end, o.rc), (End::TimedOut, None));
    assert!(o.duration >= Duration::from_secs(1));
    assert!(o.duration < Duration::from_secs(3), "{:?}", o.duration);
    assert_eq!(text(&msgs), "ready\n");
    assert_eq!(live_members(started_pid(&msgs)), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_what_ignores_term_after_grace() {
    let dir = TempDir::new();
    let mut spec = sh(&dir, DEAF_CHILDREN);
    spec.timeout = Some(Duration::from_secs(1));
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!((o.end, o.rc), (End::TimedOut, None));
    assert!(o.duration >= Duration::from_secs(3), "{:?}", o.duration);
    assert!(o.duration < Duration::from_secs(5), "{:?}", o.duration);
    assert_eq!(live_members(started_pid(&msgs)), Vec::<u32>::new());
}

/// The leader exits on TERM, its child ignores TERM: the child is KILLed when the grace ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_exits_on_term_is_canceled_with_its_code() {
    let dir = TempDir::new();
    // The deaf child says ready itself, once its TERM is ignored.
    let script = "trap 'echo bye; exit 5' TERM\n\
                  sleep 300 &\n\
                  sh -c \"trap '' TERM; echo ready; exec sleep 300\" &\n\
                  while :; do sleep 0.1; done\n";
    let spec = sh(&dir, script);
    let grace = spec.grace;
    let (o, pid, took) = cancel_when_ready(spec).await;
    assert_eq!((o.end, o.rc), (End::Canceled, Some(5)));
    assert!(
        took >= grace,
        "the deaf child was KILLed before the grace ended: {took:?}"
    );
    assert!(took <= grace + Duration::from_secs(1), "took {took:?}");
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grandchild_holding_the_pipe_does_not_hang_the_run() {
    let dir = TempDir::new();
    let spec = sh(&dir, "sleep 300 &\necho \"bg $!\"\nexit 3\n");
    let (o, msgs) = run_sh(&dir, spec).await;
    assert_eq!((o.end, o.rc), (End::Exited(3), Some(3)));
    // The leader exits at once; then at most 1 s of draining and the kill.
    assert!(o.duration < Duration::from_secs(3), "{:?}", o.duration);
    let out = text(&msgs);
    let bg: u32 = out.trim().strip_prefix("bg ").unwrap().parse().unwrap();
    assert!(!is_live(bg), "the background sleep {bg} survived");
    assert_eq!(live_members(started_pid(&msgs)), Vec::<u32>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_channel_does_not_block_the_child() {
    let dir = TempDir::new();
    let mut spec = sh(
        &dir,
        "head -c 5000000 /dev/zero\nhead -c 3000000 /dev/zero >&3\n",
    );
    spec.events_fd = true;
    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    let o = run(spec, tx, CancellationToken::new()).await;
    assert_eq!(o.end, End::Exited(0));
    assert_eq!(o.bad_event_lines, 1);
}

/// A receiver that stops reading blocks the output, not the runner: cancel still ends the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_receiver_does_not_stop_cancel() {
    let dir = TempDir::new();
    let spec = sh(&dir, "yes output\n");
    let grace = spec.grace;
    let (tx, mut rx) = mpsc::channel(1);
    let cancel = CancellationToken::new();
    let handle = tokio::spawn(run(spec, tx, cancel.clone()));
    let pid = match rx.recv().await {
        Some(Msg::Started { pid, .. }) => pid,
        other => panic!("{other:?}"),
    };
    // Not reading any more: the channel and then the pipe fill up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = Instant::now();
    cancel.cancel();
    let o = handle.await.unwrap();
    assert_eq!(o.end, End::Canceled);
    assert!(
        t.elapsed() <= grace + Duration::from_secs(1),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(live_members(pid), Vec::<u32>::new());
    drop(rx);
}

/// Not even `Started` waits on a full channel before the timeout can strike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_channel_from_the_start_does_not_stop_the_timeout() {
    let dir = TempDir::new();
    let mut spec = sh(&dir, "sleep 300\n");
    spec.timeout = Some(Duration::from_secs(1));
    let (tx, rx) = mpsc::channel(1);
    tx.send(Msg::Output(Vec::new())).await.unwrap();
    let o = tokio::time::timeout(
        Duration::from_secs(30),
        run(spec, tx, CancellationToken::new()),
    )
    .await
    .expect("the run hung on the full channel");
    assert_eq!(o.end, End::TimedOut);
    assert!(o.duration < Duration::from_secs(3), "{:?}", o.duration);
    drop(rx);
}

/// A run whose future is dropped (the worker's task aborted) leaves nothing running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_run_kills_its_group() {
    let dir = TempDir::new();
    let (tx, mut rx) = mpsc::channel(16);
    let handle = tokio::spawn(run(sh(&dir, CHILDREN), tx, CancellationToken::new()));
    let pid = match rx.recv().await {
        Some(Msg::Started { pid, .. }) => pid,
        other => panic!("{other:?}"),
    };
    wait_for_members(pid, 3);
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    let t = Instant::now();
    while !live_members(pid).is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{:?}",
            live_members(pid)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_failures_name_the_program() {
    let dir = TempDir::new();
    let plain = dir.0.join("plain.txt");
    std::fs::write(&plain, "echo hi\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    let base = sh(&dir, "");
    let cases: [(Spec, &str); 4] = [
        (
            Spec {
                program: "/nonexistent/prog".into(),
                ..base.clone()
            },
            "cannot start /nonexistent/prog: no such file",
        ),
        (
            Spec {
                program: plain.clone(),
                ..base.clone()
            },
            "permission denied",
        ),
        (
            Spec {
                cwd: dir.0.join("missing"),
                ..base.clone()
            },
            "the working directory",
        ),
        (
            Spec {
                program: "sh".into(),
                ..base.clone()
            },
            "cannot start sh: the program must be given as an absolute path",
        ),
    ];
    for (spec, want) in cases {
        let program = spec.program.clone();
        let (o, msgs) = run_sh(&dir, spec).await;
        let End::SpawnFailed(msg) = &o.end else {
            panic!("{program:?}: {o:?}");
        };
        assert!(msg.contains(want), "{msg}");
        assert!(msg.contains(&*program.to_string_lossy()), "{msg}");
        assert_eq!(o.rc, None);
        assert!(msgs.is_empty(), "{msgs:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_canceled_before_starts_nothing() {
    let dir = TempDir::new();
    let marker = dir.0.join("ran");
    let spec = sh(&dir, &format!("touch '{}'\n", marker.display()));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (o, msgs) = collect(spec, cancel).await;
    assert_eq!(o.end, End::Canceled);
    assert!(msgs.is_empty());
    assert!(!marker.exists());
}

fn spawn_group(dir: &Path) -> std::process::Child {
    std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 300 & sleep 300 & wait"])
        .current_dir(dir)
        .process_group(0)
        .spawn()
        .unwrap()
}

fn wait_for_members(pgid: u32, n: usize) {
    let t = Instant::now();
    while live_members(pgid).len() < n {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "group {pgid} never grew"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_group_if_same_checks_the_start_time() {
    let dir = TempDir::new();
    let mut child = spawn_group(&dir.0);
    let pid = child.id();
    wait_for_members(pid, 3);
    let start = process_start_time(pid).unwrap();

    assert!(!kill_group_if_same(pid, start + 1, Duration::from_secs(1)));
    assert!(!kill_group_if_same(
        pid,
        start.saturating_sub(1),
        Duration::from_secs(1)
    ));
    assert_eq!(live_members(pid).len(), 3);

    assert!(kill_group_if_same(pid, start, Duration::from_secs(2)));
    assert_eq!(child.wait().unwrap().signal(), Some(15));
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[test]
fn kill_group_if_same_kills_what_ignores_term() {
    let dir = TempDir::new();
    let mut child = std::process::Command::new("/bin/sh")
        .args(["-c", "trap '' TERM; sleep 300 & sleep 300 & wait"])
        .current_dir(&dir.0)
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_for_members(pid, 3);
    let start = process_start_time(pid).unwrap();
    let t = Instant::now();
    assert!(kill_group_if_same(pid, start, Duration::from_secs(1)));
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    assert_eq!(live_members(pid), Vec::<u32>::new());
}

#[test]
fn kill_group_if_same_refuses_non_leaders_and_unknown_pids() {
    let me = std::process::id();
    // The test process does not lead its group under cargo; under a shell it might: then skip.
    if live_members(me).contains(&me) && process_start_time(me).is_some() {
        let mine = std::fs::read_to_string("/proc/self/stat").unwrap();
        let rest = &mine[mine.rfind(')').unwrap() + 1..];
        let pgrp: u32 = rest.split_whitespace().nth(2).unwrap().parse().unwrap();
        if pgrp != me {
            assert!(!kill_group_if_same(
                me,
                process_start_time(me).unwrap(),
                Duration::ZERO
            ));
        }
    }
    assert!(!kill_group_if_same(0, 0, Duration::ZERO));
    assert!(!kill_group_if_same(
        1,
        process_start_time(1).unwrap_or(0),
        Duration::ZERO
    ));
    assert!(!kill_group_if_same(u32::MAX, 0, Duration::ZERO));
}

#[test]
fn kill_group_if_same_kills_the_children_of_a_dead_leader() {
    let dir = TempDir::new();
    // The leader exits at once; its two children keep the group.
    let mut child = std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 300 & sleep 300 & sleep 0.5"])
        .current_dir(&dir.0)
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = process_start_time(pid).unwrap();
    wait_for_members(pid, 3);
    child.wait().unwrap();
    assert_eq!(live_members(pid).len(), 2);
    assert!(
        !kill_group_if_same(pid, start + 1_000_000, Duration::from_secs(1)),
        "members older than the start time are not the run's"
    );
    assert!(kill_group_if_same(pid, start, Duration::from_secs(2)));
    let t = Instant::now();
    while !live_members(pid).is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the children survived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
