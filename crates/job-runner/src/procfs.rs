// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What /proc says about a process: its state, process group and start time.

use std::fs;

/// The fields of `/proc/<pid>/stat` the runner needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub state: char,
    pub pgrp: i32,
    /// Field 22: clock ticks after boot. With the pid it names one process for good: a reused pid
    /// gets a later start time.
    pub start_time: u64,
}

impl Stat {
    /// A zombie has ended and only waits to be reaped; it holds no pipe and runs no code.
    pub fn is_live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// `/proc/<pid>/stat` is `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses,
/// so the fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let rest = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 of the man page.
    Some(Stat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

pub(crate) fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The start time of `pid` (field 22 of `/proc/<pid>/stat`, in clock ticks after boot), `None` if
/// there is no such process.
pub fn process_start_time(pid: u32) -> Option<u64> {
    stat(pid).map(|s| s.start_time)
}

/// Whether a live process (not a zombie) of group `pgid` matches `wanted`; `None` without /proc.
fn any_live_member(pgid: i32, wanted: impl Fn(&Stat) -> bool) -> Option<bool> {
    let entries = fs::read_dir("/proc").ok()?;
    Some(entries.flatten().any(|e| {
        e.file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
            .and_then(stat)
            .is_some_and(|s| s.pgrp == pgid && s.is_live() && wanted(&s))
    }))
}

/// Whether any process of group `pgid` still runs (zombies do not count).
pub(crate) fn group_has_live_members(pgid: i32) -> bool {
    // Without /proc nothing can be told apart: assume the worst, the caller then KILLs.
    any_live_member(pgid, |_| true).unwrap_or(true)
}

/// Whether a live process of group `pgid` started at or after `since` (clock ticks after boot).
pub(crate) fn group_members_started_since(pgid: i32, since: u64) -> bool {
    any_live_member(pgid, |s| s.start_time >= since).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_odd_command_names() {
        let line = "42 (a b) c)) S 7 42 42 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 98765 1 2";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                state: 'S',
                pgrp: 42,
                start_time: 98765
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 0 1"), None);
    }

    #[test]
    fn reads_our_own_process() {
        let me = std::process::id();
        let s = stat(me).unwrap();
        assert!(s.is_live());
        assert_eq!(process_start_time(me), Some(s.start_time));
        assert_eq!(process_start_time(u32::MAX), None);
    }
}
