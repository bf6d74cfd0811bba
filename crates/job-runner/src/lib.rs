// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Runs one program (ansible-playbook, for the job service's worker) in its own process group.
//!
//! The child gets stdin from /dev/null, stdout and stderr on one pipe, optionally a pipe on fd 3
//! for JSON lines, and exactly the environment it is given. The caller receives [`Msg`]s while it
//! runs and an [`Outcome`] at the end; by then nothing of the run's process group is left. The
//! runner knows nothing of HTTP, jobs or stores.
//!
//! [`run`] needs a tokio runtime with IO and time enabled.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use job_runner::{run, Msg, Spec};
//! use tokio_util::sync::CancellationToken;
//!
//! # async fn demo() {
//! let spec = Spec {
//!     program: "/usr/bin/ansible-playbook".into(),
//!     args: vec!["site.yml".into()],
//!     cwd: "/srv/playbooks".into(),
//!     env: vec![("PATH".into(), "/usr/bin:/bin".into())],
//!     timeout: Some(Duration::from_secs(600)),
//!     grace: Duration::from_secs(10),
//!     events_fd: false,
//!     max_event_line: job_runner::MAX_EVENT_LINE,
//!     open_files: None,
//! };
//! let (tx, mut rx) = tokio::sync::mpsc::channel(64);
//! let (outcome, ()) = tokio::join!(run(spec, tx, CancellationToken::new()), async {
//!     while let Some(msg) = rx.recv().await {
//!         if let Msg::Output(bytes) = msg {
//!             print!("{}", String::from_utf8_lossy(&bytes));
//!         }
//!     }
//! });
//! println!("{:?} after {:?}", outcome.end, outcome.duration);
//! # }
//! ```
#![deny(missing_docs)]

mod events;
mod group;
mod procfs;
mod spawn;

use events::{Line, Lines};
use group::Group;
use nix::sys::signal::Signal;
use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe::Receiver;
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use group::kill_group_if_same;
pub use procfs::process_start_time;

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec {
    /// An absolute path, resolved by the caller: nothing is looked up in a PATH.
    pub program: PathBuf,
    /// Passed as they are: no shell sees them.
    pub args: Vec<OsString>,
    /// The child's working directory.
    pub cwd: PathBuf,
    /// The whole environment: the child's is cleared first.
    pub env: Vec<(OsString, OsString)>,
    /// Counted from the spawn. On expiry the group is TERMed, and KILLed after `grace`.
    pub timeout: Option<Duration>,
    /// Between TERM and KILL.
    pub grace: Duration,
    /// Give the child a pipe on fd 3 for JSON lines, delivered as [`Msg::Event`].
    pub events_fd: bool,
    /// An event line longer than this many bytes is skipped without being kept in memory, and
    /// counted in [`Outcome::bad_event_lines`]; [`MAX_EVENT_LINE`] fits any line of the job_events
    /// callback but the stats of tens of thousands of hosts.
    pub max_event_line: usize,
    /// The child's soft open-file limit (at most the hard one), when the caller raised its own
    /// and the child should not inherit that: `None` leaves the limit as it is.
    pub open_files: Option<u64>,
}

/// What the caller hears while the program runs, in this order: `Started` first, then `Output`
/// and `Event` as they come.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The leader's pid (also its process group) and its start time from /proc (0 if it could
    /// not be read), for [`kill_group_if_same`] after a crash of the caller.
    Started {
        /// The leader's pid, which is also its process group id.
        pid: u32,
        /// Field 22 of `/proc/<pid>/stat`, in clock ticks after boot.
        start_time: u64,
    },
    /// Up to 64 KiB of stdout and stderr, interleaved as written.
    Output(Vec<u8>),
    /// One line of fd 3 that is a JSON object.
    Event(serde_json::Value),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The leader exited with this code.
    Exited(i32),
    /// The leader was killed by this signal (not by the runner).
    Signaled(i32),
    /// [`Spec::timeout`] ran out: the runner stopped the group.
    TimedOut,
    /// The cancellation token fired: the runner stopped the group (or started nothing).
    Canceled,
    /// Nothing ran; the message names the program and why.
    SpawnFailed(String),
}

/// What [`run`] returns once nothing of the run's process group is left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Why the run ended.
    pub end: End,
    /// The leader's exit code if it exited (not when a signal ended it).
    pub rc: Option<i32>,
    /// From the call to the end of the run, the cleanup of its group included.
    pub duration: Duration,
    /// Lines of fd 3 that were not a JSON object, or longer than [`Spec::max_event_line`].
    pub bad_event_lines: u64,
}

/// Reads of the output pipe are at most this big; a chunk is sent as it was read.
const CHUNK: usize = 64 * 1024;
/// The default [`Spec::max_event_line`]: the callback cuts every name and message, so only the
/// stats line grows with the play, about 130 bytes a host: 8 MiB holds some 60,000 hosts.
pub const MAX_EVENT_LINE: usize = 8 * 1024 * 1024;
/// After the leader exited, a grandchild (an ssh ControlPersist master, a `cmd &`) may hold the
/// pipes open for good: what is readable by then is taken, then reading stops.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);
/// After the group was killed, a writer that left the group may still hold a pipe.
const DRAIN_AFTER_KILL: Duration = Duration::from_millis(200);

/// Why the runner ended the run early, and when TERM turns into KILL.
struct Stop {
    end: End,
    kill_at: Option<Instant>,
    killed: bool,
}

/// Runs `spec` to its end. Never panics: a program that cannot be started gives
/// [`End::SpawnFailed`]. A token canceled before the call starts nothing. When `tx` is closed,
/// messages are dropped and the run goes on.
pub async fn run(spec: Spec, tx: Sender<Msg>, cancel: CancellationToken) -> Outcome {
    let t0 = Instant::now();
    let done = |end: End, rc: Option<i32>, bad_event_lines: u64| Outcome {
        end,
        rc,
        duration: t0.elapsed(),
        bad_event_lines,
    };
    if cancel.is_cancelled() {
        return done(End::Canceled, None, 0);
    }
    let spawn::Spawned {
        mut child,
        pid,
        output,
        events,
    } = match spawn::spawn(&spec) {
        Ok(s) => s,
        Err(e) => return done(End::SpawnFailed(e.to_string()), None, 0),
    };
    let Some(mut group) = Group::new(pid) else {
        // A child's pid is never 0 or 1; refuse rather than signal a group that is not ours.
        let _ = child.start_kill();
        let msg = format!(
            "cannot start {}: unusable pid {pid}",
            spec.program.display()
        );
        return done(End::SpawnFailed(msg), None, 0);
    };
    let timeout_at = spec.timeout.and_then(|d| Instant::now().checked_add(d));
    let start_time = process_start_time(pid).unwrap_or(0);
    // Sent by the pump, so that a receiver that does not read yet cannot hold up cancel or timeout.
    let started = Msg::Started { pid, start_time };

    let mut bad = 0u64;
    let (status, stop) = {
        let pump = pump(started, output, events, spec.max_event_line, &tx, &mut bad);
        tokio::pin!(pump);
        let mut pumped = false;
        let mut stop: Option<Stop> = None;
        let status = loop {
            let kill_at = stop.as_ref().filter(|s| !s.killed).and_then(|s| s.kill_at);
            let timeout_at = timeout_at.filter(|_| stop.is_none());
            tokio::select! {
                st = child.wait() => break st,
                () = &mut pump, if !pumped => pumped = true,
                () = cancel.cancelled(), if stop.is_none() => {
                    stop = Some(begin_stop(&group, End::Canceled, spec.grace));
                }
                () = sleep_until(timeout_at) => {
                    stop = Some(begin_stop(&group, End::TimedOut, spec.grace));
                }
                () = sleep_until(kill_at) => {
                    group.signal(Signal::SIGKILL);
                    if let Some(s) = stop.as_mut() {
                        s.killed = true;
                    }
                }
            }
        };
        let exited = Instant::now();
        // A normal end: take the output first, then kill what the run left behind.
        if stop.is_none() && !pumped {
            pumped = tokio::time::timeout(DRAIN_AFTER_EXIT, &mut pump)
                .await
                .is_ok();
        }
        let deadline = match &stop {
            Some(s) if s.killed => Some(Instant::now()),
            Some(s) => s.kill_at,
            None => Instant::now().checked_add(spec.grace),
        };
        let finish = group.finish(deadline);
        tokio::pin!(finish);
        // Keep reading while the leftovers die, so none blocks on a full pipe meanwhile.
        loop {
            tokio::select! {
                () = &mut finish => break,
                () = &mut pump, if !pumped => pumped = true,
            }
        }
        if !pumped {
            let until = (exited + DRAIN_AFTER_EXIT).max(Instant::now() + DRAIN_AFTER_KILL);
            let _ = tokio::time::timeout_at(until, &mut pump).await;
        }
        (status, stop)
    };

    let rc = status.as_ref().ok().and_then(|s| s.code());
    let end = match (stop, status) {
        (Some(s), _) => s.end,
        (None, Ok(st)) => match (st.code(), st.signal()) {
            (Some(code), _) => End::Exited(code),
            (None, Some(sig)) => End::Signaled(sig),
            // wait() reports only exits and deaths by signal.
            (None, None) => End::Exited(-1),
        },
        // Only if something else in this process reaped the child (SIGCHLD ignored, a
        // waitpid(-1)); its group is killed all the same.
        (None, Err(e)) => {
            End::SpawnFailed(format!("lost {} (pid {pid}): {e}", spec.program.display()))
        }
    };
    done(end, rc, bad)
}

fn begin_stop(group: &Group, end: End, grace: Duration) -> Stop {
    group.signal(Signal::SIGTERM);
    Stop {
        end,
        kill_at: Instant::now().checked_add(grace),
        killed: false,
    }
}

/// `None` never comes.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn deliver(tx: &Sender<Msg>, msg: Msg) {
    // A closed channel means nobody listens any more; the pipes are drained all the same, so the
    // child never blocks on them.
    let _ = tx.send(msg).await;
}

/// Sends `first`, then reads both pipes until both are at EOF, sending what comes.
async fn pump(
    first: Msg,
    output: Receiver,
    events: Option<Receiver>,
    max_event_line: usize,
    tx: &Sender<Msg>,
    bad: &mut u64,
) {
    deliver(tx, first).await;
    let mut output = Some(output);
    let mut events = events;
    // Filled by read_buf, never zeroed: two zeroed 64 KiB buffers were ~130k instructions of
    // memset per run, more than the spawn (docs/performance.md).
    let mut obuf = Vec::with_capacity(CHUNK);
    let mut ebuf = Vec::with_capacity(CHUNK);
    let mut lines = Lines::new(max_event_line);
    let mut parsed = Vec::new();
    while output.is_some() || events.is_some() {
        tokio::select! {
            r = read(&mut output, &mut obuf) => match r {
                Some(n) => {
                    if !tx.is_closed() {
                        deliver(tx, Msg::Output(obuf[..n].to_vec())).await;
                    }
                }
                None => output = None,
            },
            r = read(&mut events, &mut ebuf) => {
                match r {
                    Some(n) => lines.feed(&ebuf[..n], &mut parsed),
                    None => {
                        lines.finish(&mut parsed);
                        events = None;
                    }
                }
                for line in parsed.drain(..) {
                    match line {
                        Line::Event(v) => deliver(tx, Msg::Event(v)).await,
                        Line::Bad => *bad += 1,
                    }
                }
            }
        }
    }
}

/// Some(n > 0) bytes read into `buf` (which then holds just them), or None at EOF. A pipe
/// that is gone never completes.
async fn read(pipe: &mut Option<Receiver>, buf: &mut Vec<u8>) -> Option<usize> {
    let Some(p) = pipe.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        buf.clear();
        match p.read_buf(buf).await {
            Ok(0) => return None,
            Ok(n) => return Some(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A pipe read fails only when the descriptor itself is broken: nothing more comes.
            Err(_) => return None,
        }
    }
}
