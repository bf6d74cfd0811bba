// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What /proc says about a process: its state, process group and start time.

use safe_fs::proc::pids_in;
pub(crate) use safe_fs::proc::{stat, Stat};
use std::path::Path;

/// The start time of `pid` (field 22 of `/proc/<pid>/stat`, in clock ticks after boot), `None` if
/// there is no such process.
pub fn process_start_time(pid: u32) -> Option<u64> {
    stat(pid).map(|s| s.start_time)
}

/// Whether a live process (not a zombie) of group `pgid` matches `wanted`; `None` without /proc.
fn any_live_member(pgid: i32, wanted: impl Fn(&Stat) -> bool) -> Option<bool> {
    let root = Path::new("/proc");
    if !root.is_dir() {
        return None;
    }
    Some(
        pids_in(root)
            .into_iter()
            .filter_map(stat)
            .any(|s| s.pgrp == pgid && s.is_live() && wanted(&s)),
    )
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
    fn reads_our_own_process() {
        let me = std::process::id();
        let s = stat(me).unwrap();
        assert!(s.is_live());
        assert_eq!(process_start_time(me), Some(s.start_time));
        assert_eq!(process_start_time(u32::MAX), None);
    }
}
