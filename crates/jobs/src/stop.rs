// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Stopping a job (async_kill): signal every process of it, then mark it killed, unless it ended
//! on its own first.

use crate::dir::AsyncDir;
use crate::error::Result;
use crate::kill::{job_pids, mark_killed, terminate};
use crate::status::{probe, Job, State};
use nix::sys::signal::Signal;
use std::time::Duration;

/// What stopping a job did (or, in check mode, would do).
#[derive(Debug)]
pub enum Stopped {
    /// It had already finished or been killed: nothing was done.
    AlreadyEnded {
        /// It had been killed rather than finished.
        killed: bool,
    },
    /// Check mode: these processes would get the signal.
    WouldSignal(Vec<i32>),
    /// The signals went out; `pids` are the processes found, `sent` each signal sent.
    Signalled {
        /// The job's processes, as found.
        pids: Vec<i32>,
        /// (pid, signal name) for every signal sent, the final KILLs included.
        sent: Vec<(i32, &'static str)>,
        /// It finished on its own while we looked: its result stands and it is not marked.
        finished_first: bool,
    },
}

/// Stops `job`: `signal` to each of its processes, KILL to what is left after `grace`, then the
/// killed mark in its job file.
pub fn stop(
    dir: &AsyncDir,
    job: Job,
    signal: Signal,
    grace: Duration,
    check_mode: bool,
) -> Result<Stopped> {
    if matches!(job.state, State::Finished | State::Killed) {
        return Ok(Stopped::AlreadyEnded {
            killed: job.state == State::Killed,
        });
    }
    let pids = job_pids(job.jid.prefix());
    if check_mode {
        return Ok(Stopped::WouldSignal(pids));
    }
    let sent = terminate(&pids, signal, grace);
    // Read again: the job may have finished on its own while we looked.
    let job = probe(dir, &job.jid)?.unwrap_or(job);
    let finished_first = job.state == State::Finished;
    if !finished_first {
        mark_killed(&job, signal)?;
    }
    Ok(Stopped::Signalled {
        pids,
        sent,
        finished_first,
    })
}
