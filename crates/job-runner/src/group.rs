// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The process group a run leads, and how it is ended.

use crate::procfs::{group_has_live_members, group_members_started_since, stat};
use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::time::Duration;
use tokio::time::Instant;

/// How often a group is looked at while it has time to exit after TERM.
const POLL: Duration = Duration::from_millis(25);

/// The group of one run. Dropped before [`Group::finish`] (the run's future was dropped), it
/// KILLs the group: nothing of a run outlives the runner.
pub(crate) struct Group {
    pgid: Pid,
    finished: bool,
}

impl Group {
    /// `None` for pids that do not name a group of ours: killpg(0) or killpg(1) would hit the
    /// service itself or everything.
    pub fn new(pid: u32) -> Option<Group> {
        Some(Group {
            pgid: pgid_of(pid)?,
            finished: false,
        })
    }

    pub fn signal(&self, sig: Signal) {
        // ESRCH: the group is already empty. EPERM cannot happen for our own child's group.
        let _ = killpg(self.pgid, sig);
    }

    /// TERM what is left, give it until `deadline` (`None`: no limit) to exit, then KILL.
    pub async fn finish(&mut self, deadline: Option<Instant>) {
        self.signal(Signal::SIGTERM);
        while is_live(self.pgid) && deadline.is_none_or(|d| Instant::now() < d) {
            tokio::time::sleep(POLL).await;
        }
        self.signal(Signal::SIGKILL);
        self.finished = true;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.finished {
            self.signal(Signal::SIGKILL);
        }
    }
}

fn pgid_of(pid: u32) -> Option<Pid> {
    let raw = i32::try_from(pid).ok()?;
    (raw > 1).then(|| Pid::from_raw(raw))
}

fn is_live(pgid: Pid) -> bool {
    // Signal 0 only asks whether the group exists; /proc is read only when it does, to tell live
    // members from zombies that wait for a reaper.
    killpg(pgid, None) != Err(Errno::ESRCH) && group_has_live_members(pgid.as_raw())
}

/// Kills the process group led by `pid` (TERM, KILL after `grace`) if `pid` is still the process
/// that started at `start_time` and still leads its own group, or if that leader is gone and
/// members of its group started after it remain. For the service's recovery after
/// its own crash: the pid of a run it lost may have been reused by then, and the start time tells.
/// Blocking. Returns whether the group was signaled.
pub fn kill_group_if_same(pid: u32, start_time: u64, grace: Duration) -> bool {
    let Some(pgid) = pgid_of(pid) else {
        return false;
    };
    match stat(pid) {
        Some(s) if s.start_time == start_time && s.pgrp == pgid.as_raw() && s.is_live() => {}
        // The leader is gone (a service killed with -9 takes ansible-playbook's stdout reader
        // with it, and ansible-playbook dies of the broken pipe) while its children run on. The
        // kernel hands out no pid that is still some process's group id, so members that started
        // after the leader are that run's.
        Some(s) if s.is_live() => return false,
        _ => {
            if !group_members_started_since(pgid.as_raw(), start_time) {
                return false;
            }
        }
    }
    let _ = killpg(pgid, Signal::SIGTERM);
    let deadline = std::time::Instant::now().checked_add(grace);
    while is_live(pgid) && deadline.is_none_or(|d| std::time::Instant::now() < d) {
        std::thread::sleep(POLL);
    }
    let _ = killpg(pgid, Signal::SIGKILL);
    true
}
