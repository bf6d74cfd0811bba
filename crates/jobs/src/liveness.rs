// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Is the async wrapper of a job still alive?
//!
//! The jid's pid suffix belongs to a process that exits at start-up, so it proves nothing. The
//! wrapper's processes keep their argv, which holds the jid PREFIX right after the
//! `async_wrapper.py` path in both layouts:
//!   2.18-2.20: `python …/async_wrapper.py <prefix> <limit> <module> <args|_> [-preserve_tmp]`
//!   2.21+:     `python …/async_wrapper.py <prefix> <limit> <true|false> <module> <module> <args>`
//!
//! Two processes carry that argv: the supervisor (enforces the time limit) and its child, the
//! runner (runs the module, writes the result). Only the runner can finish a job. After the runner
//! dies the supervisor lingers for up to 5 s before it notices, so "some wrapper process exists" is
//! not enough: we look for the runner. The supervisor makes the runner a process-group leader
//! (`setpgid(runner, runner)`), and the runner is the supervisor's child; either mark identifies it.

use safe_fs::proc::stat_in;
use std::collections::HashMap;
use std::path::Path;

/// One process running the async wrapper for a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapperProcess {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: i32,
}

/// Every process whose command line runs the async wrapper for this jid prefix.
pub fn wrapper_processes(prefix: &str) -> Vec<WrapperProcess> {
    wrapper_processes_in(Path::new("/proc"), prefix)
}

pub fn wrapper_processes_in(proc_root: &Path, prefix: &str) -> Vec<WrapperProcess> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // Processes vanish while we scan; an unreadable entry is simply not ours.
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if !runs_wrapper_for(&cmdline, prefix) {
            continue;
        }
        if let Some(s) = u32::try_from(pid).ok().and_then(|p| stat_in(proc_root, p)) {
            found.push(WrapperProcess {
                pid,
                ppid: s.ppid,
                pgid: s.pgrp,
            });
        }
    }
    found.sort_by_key(|p| p.pid);
    found
}

/// True while the process that will write the job's result is alive.
pub fn runner_alive(prefix: &str) -> bool {
    has_runner(&wrapper_processes(prefix))
}

pub fn has_runner(procs: &[WrapperProcess]) -> bool {
    procs
        .iter()
        .any(|p| p.pgid == p.pid || procs.iter().any(|parent| parent.pid == p.ppid))
}

/// Every wrapper process on the host, by the jid prefix it runs: one pass over /proc for a whole
/// async dir, where [`wrapper_processes`] costs one pass per job.
pub fn all_wrappers() -> HashMap<String, Vec<WrapperProcess>> {
    all_wrappers_in(Path::new("/proc"))
}

pub fn all_wrappers_in(proc_root: &Path) -> HashMap<String, Vec<WrapperProcess>> {
    let mut found: HashMap<String, Vec<WrapperProcess>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let Some(prefix) = wrapper_prefix(&cmdline) else {
            continue;
        };
        if let (Some(s), Ok(pid)) = (stat_in(proc_root, pid), i32::try_from(pid)) {
            found.entry(prefix).or_default().push(WrapperProcess {
                pid,
                ppid: s.ppid,
                pgid: s.pgrp,
            });
        }
    }
    found
}

/// The runner among a job's wrapper processes: the one that writes the result.
pub fn runner_pid(procs: &[WrapperProcess]) -> Option<i32> {
    procs
        .iter()
        .find(|p| p.pgid == p.pid || procs.iter().any(|parent| parent.pid == p.ppid))
        .map(|p| p.pid)
}

fn wrapper_prefix(cmdline: &[u8]) -> Option<String> {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.windows(2)
        .find(|w| w[0].ends_with(b"async_wrapper.py"))
        .and_then(|w| std::str::from_utf8(w[1]).ok())
        .map(str::to_string)
}

fn runs_wrapper_for(cmdline: &[u8], prefix: &str) -> bool {
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.windows(2)
        .any(|w| w[0].ends_with(b"async_wrapper.py") && w[1] == prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};
    use std::time::Duration;

    /// A real process whose argv looks like the wrapper's: `sh -c <script> <argv0> <args...>`.
    fn spawn(script: &str, args: &[&str], own_group: bool) -> Child {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script).args(args);
        if own_group {
            c.process_group(0);
        }
        c.spawn().expect("spawn sh")
    }

    fn stop(mut c: Child) {
        let _ = c.kill();
        let _ = c.wait();
    }

    fn settle() {
        std::thread::sleep(Duration::from_millis(100));
    }

    #[test]
    fn finds_wrappers_of_both_argv_layouts() {
        let old = spawn(
            "sleep 30",
            &[
                "/tmp/x/async_wrapper.py",
                "j111222333001",
                "60",
                "/tmp/x/mod",
                "_",
            ],
            true,
        );
        let new = spawn(
            "sleep 30",
            &[
                "/tmp/y/async_wrapper.py",
                "j111222333002",
                "60",
                "false",
                "/tmp/y/m",
                "/tmp/y/m",
                "/tmp/y/args",
            ],
            true,
        );
        settle();
        let pids = |p| {
            wrapper_processes(p)
                .iter()
                .map(|w| w.pid)
                .collect::<Vec<_>>()
        };
        assert_eq!(pids("j111222333001"), vec![old.id() as i32]);
        assert_eq!(pids("j111222333002"), vec![new.id() as i32]);
        assert!(runner_alive("j111222333001"));
        let all = all_wrappers();
        assert_eq!(
            all.get("j111222333002").and_then(|p| runner_pid(p)),
            Some(new.id() as i32)
        );
        assert!(all.contains_key("j111222333001"));
        stop(old);
        stop(new);
        assert!(wrapper_processes("j111222333001").is_empty());
        assert!(!runner_alive("j111222333001"));
    }

    #[test]
    fn supervisor_with_runner_child_is_alive() {
        let argv = ["/w/async_wrapper.py", "j111222333004", "60"];
        let sup = spawn("sh -c 'sleep 30' \"$0\" \"$@\" & wait", &argv, false);
        settle();
        let procs = wrapper_processes("j111222333004");
        assert_eq!(procs.len(), 2, "{procs:?}");
        assert!(has_runner(&procs));
        let _ = Command::new("pkill")
            .args(["-P", &sup.id().to_string()])
            .status();
        stop(sup);
    }

    #[test]
    fn lone_supervisor_means_the_runner_died() {
        // Same process group as this test, no wrapper parent: a supervisor whose runner is gone.
        let sup = spawn(
            "sleep 30",
            &["/w/async_wrapper.py", "j111222333005", "60"],
            false,
        );
        settle();
        assert_eq!(wrapper_processes("j111222333005").len(), 1);
        assert!(!runner_alive("j111222333005"));
        stop(sup);
    }

    #[test]
    fn no_false_positive_on_other_positions_or_prefixes() {
        let decoy = spawn(
            "sleep 30",
            &[
                "/tmp/z/other.py",
                "j111222333003",
                "/tmp/z/async_wrapper.py",
            ],
            true,
        );
        settle();
        assert!(wrapper_processes("j111222333003").is_empty());
        assert!(!runs_wrapper_for(
            b"python\0/a/async_wrapper.py\0j1234\x0060",
            "j123"
        ));
        assert!(runs_wrapper_for(
            b"python\0/a/async_wrapper.py\0j1234\x0060",
            "j1234"
        ));
        stop(decoy);
    }
}
