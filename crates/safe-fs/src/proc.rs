// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What `/proc/<pid>/stat` says about a process.

use std::path::Path;

/// The fields of `/proc/<pid>/stat` we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: R, S, D, Z, T, ...
    pub state: char,
    /// Field 4.
    pub ppid: i32,
    /// Field 5: the process group.
    pub pgrp: i32,
    /// Field 22: clock ticks after boot. With the pid it names one process for good: a reused
    /// pid gets a later start time.
    pub start_time: u64,
}

impl Stat {
    /// A zombie has ended and only waits to be reaped; it holds no pipe and runs no code.
    pub fn is_live(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// `pid (comm) state ppid pgrp ...`: comm may hold spaces and parentheses, so the fields are
/// counted from the last `)`. Never panics, whatever the text.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = text.get(text.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 of proc(5).
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// The stat of `pid` under `proc_root` (normally `/proc`); `None` if it is gone or unreadable.
pub fn stat_in(proc_root: &Path, pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?)
}

/// The stat of `pid`; `None` if there is no such process.
pub fn stat(pid: u32) -> Option<Stat> {
    stat_in(Path::new("/proc"), pid)
}

/// The pids listed under `proc_root` now. Processes come and go while the caller looks.
pub fn pids_in(proc_root: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
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
                ppid: 7,
                pgrp: 42,
                start_time: 98765
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 0 1"), None);
        assert_eq!(parse_stat("1 (x)"), None);
    }

    #[test]
    fn reads_our_own_process() {
        let me = std::process::id();
        let s = stat(me).unwrap();
        assert!(s.is_live());
        assert_eq!(s.ppid as u32, std::os::unix::process::parent_id());
        assert!(pids_in(Path::new("/proc")).contains(&me));
        assert_eq!(stat(u32::MAX), None);
    }
}
