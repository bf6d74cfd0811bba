// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Stopping a job: every process of it, then a `killed` mark in its job file.
//!
//! A job is the wrapper's supervisor, its runner (a process-group leader), the module the runner
//! started and whatever that module started. Children that left the runner's process group are
//! still found as descendants. The mark is written after the processes are gone, so a dying runner
//! cannot overwrite it with the module's failure.

use crate::error::{write_err, Result};
use crate::liveness::wrapper_processes;
use crate::status::Job;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use safe_fs::proc;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// A signal named as users write it: TERM, SIGTERM, 15.
pub fn parse_signal(s: &str) -> std::result::Result<Signal, String> {
    let t = s.trim().to_ascii_uppercase();
    if let Ok(n) = t.parse::<i32>() {
        return Signal::try_from(n).map_err(|_| format!("{s} is not a signal number"));
    }
    let name = if t.starts_with("SIG") {
        t
    } else {
        format!("SIG{t}")
    };
    name.parse::<Signal>()
        .map_err(|_| format!("unknown signal '{s}'"))
}

/// (pid, ppid, pgid) of every process we may see.
fn process_table(proc_root: &Path) -> Vec<(i32, i32, i32)> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<u32>().ok()?;
            let s = proc::stat_in(proc_root, pid)?;
            Some((i32::try_from(pid).ok()?, s.ppid, s.pgrp))
        })
        .collect()
}

/// Every process of the job: the wrapper's processes, their process groups and descendants.
pub fn job_pids(prefix: &str) -> Vec<i32> {
    let wrappers = wrapper_processes(prefix);
    if wrappers.is_empty() {
        return Vec::new();
    }
    let table = process_table(Path::new("/proc"));
    let mut found: BTreeSet<i32> = wrappers.iter().map(|w| w.pid).collect();
    // Process groups the runner leads (the supervisor's group is its own session, not ours).
    let groups: BTreeSet<i32> = wrappers
        .iter()
        .filter(|w| w.pgid == w.pid)
        .map(|w| w.pgid)
        .collect();
    found.extend(
        table
            .iter()
            .filter(|(_, _, g)| groups.contains(g))
            .map(|(p, _, _)| *p),
    );
    loop {
        let more: Vec<i32> = table
            .iter()
            .filter(|(p, pp, _)| found.contains(pp) && !found.contains(p))
            .map(|(p, _, _)| *p)
            .collect();
        if more.is_empty() {
            break;
        }
        found.extend(more);
    }
    found.remove(&(std::process::id() as i32));
    found.into_iter().collect()
}

fn alive(pid: i32) -> bool {
    // Zombies are dead for our purpose: they only wait to be reaped.
    u32::try_from(pid)
        .ok()
        .and_then(proc::stat)
        .is_some_and(|s| s.is_live())
}

/// Sends `signal` to each pid; after `grace`, SIGKILL to whatever still lives. Returns
/// (pid, signal name) for every signal sent.
pub fn terminate(pids: &[i32], signal: Signal, grace: Duration) -> Vec<(i32, &'static str)> {
    let mut sent = Vec::new();
    for &pid in pids {
        if kill(Pid::from_raw(pid), signal).is_ok() {
            sent.push((pid, signal.as_str()));
        }
    }
    if signal == Signal::SIGKILL {
        return sent;
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|p| alive(*p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for &pid in pids.iter().filter(|p| alive(**p)) {
        if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
            sent.push((pid, Signal::SIGKILL.as_str()));
        }
    }
    sent
}

/// Marks the job file killed, atomically (`<jid>.kill`, then rename, as the original module did).
pub fn mark_killed(job: &Job, signal: Signal) -> Result<Map<String, Value>> {
    let mut data = job.data.clone();
    data.insert("started".into(), Value::Bool(true));
    data.insert("finished".into(), Value::Bool(true));
    data.insert("killed".into(), Value::Bool(true));
    data.insert("failed".into(), Value::Bool(true));
    data.insert("ansible_job_id".into(), Value::String(job.jid.to_string()));
    data.insert(
        "msg".into(),
        Value::String(format!(
            "job {} was killed by async_kill with {}",
            job.jid,
            signal.as_str()
        )),
    );
    // `<jid>.kill`, a name cleanup knows: a crash between write and rename leaves nothing behind
    // that full_cleanup cannot find.
    let tmp = format!("{}.kill", job.jid);
    let mut text: Vec<u8> = Vec::new();
    // Through `dyn Write`, like the module's result: one serializer in the binary.
    let _ = serde_json::to_writer(&mut text as &mut dyn std::io::Write, &data);
    safe_fs::write_atomic(&job.path, safe_fs::TempName::Fixed(&tmp), &text)
        .map_err(write_err(&job.path))?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn signals_by_name_and_number() {
        assert_eq!(parse_signal("TERM"), Ok(Signal::SIGTERM));
        assert_eq!(parse_signal("sigkill"), Ok(Signal::SIGKILL));
        assert_eq!(parse_signal("9"), Ok(Signal::SIGKILL));
        assert_eq!(parse_signal(" int "), Ok(Signal::SIGINT));
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("999").is_err());
    }

    #[test]
    fn finds_and_stops_a_whole_tree() {
        // A fake runner (own process group) whose shell started children, one of which left the
        // group: all must be found and stopped.
        let mut runner = Command::new("setsid")
            .args([
                "sh",
                "-c",
                "sleep 300 & setsid sleep 301 & wait",
                "/x/async_wrapper.py",
                "j555444333222",
                "60",
            ])
            .spawn()
            .expect("setsid");
        std::thread::sleep(Duration::from_millis(300));
        let pids = job_pids("j555444333222");
        assert!(pids.len() >= 3, "{pids:?}");
        let sent = terminate(&pids, Signal::SIGTERM, Duration::from_secs(2));
        assert!(sent.iter().any(|(p, s)| *p == pids[0] && *s == "SIGTERM"));
        let _ = runner.wait();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            pids.iter().all(|p| !alive(*p)),
            "survivors: {:?}",
            pids.iter().filter(|p| alive(**p)).collect::<Vec<_>>()
        );
        assert!(job_pids("j555444333222").is_empty());
    }

    #[test]
    fn the_kill_mark_never_writes_through_a_planted_link() {
        let d = std::env::temp_dir().join(format!("jobs-kill-mark-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let victim = d.with_extension("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::fs::write(d.join("j7.7"), r#"{"started": 1, "finished": 0}"#).unwrap();
        std::os::unix::fs::symlink(&victim, d.join("j7.7.kill")).unwrap();
        let dir = crate::AsyncDir::from_path(&d);
        let jid = crate::Jid::parse("j7.7").unwrap();
        let job = crate::status::probe(&dir, &jid).unwrap().unwrap();
        mark_killed(&job, Signal::SIGTERM).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let marked = crate::status::probe(&dir, &jid).unwrap().unwrap();
        assert_eq!(marked.state, crate::status::State::Killed);
        assert!(d.join("j7.7.kill").symlink_metadata().is_err());
        std::fs::remove_dir_all(&d).unwrap();
        std::fs::remove_file(&victim).unwrap();
    }
}
