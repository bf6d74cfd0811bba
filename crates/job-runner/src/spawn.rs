// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Starting the child: its own process group, one pipe for stdout and stderr, fd 3 for events.
// The workspace's only unsafe code: `pre_exec` and raw descriptors between fork and exec, where
// std has no safe API for "this fd at number 3 in the child".
#![allow(unsafe_code)]

use crate::Spec;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::libc;
use nix::unistd::pipe2;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::net::unix::pipe::Receiver;

/// The fd the child finds its event pipe on.
const EVENTS_FD: RawFd = 3;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error("cannot start {}: the program must be given as an absolute path", .0.display())]
    NotAbsolute(PathBuf),
    #[error("cannot start {}: no such file", .0.display())]
    NoProgram(PathBuf),
    #[error("cannot start {}: permission denied (not an executable file, or a directory on its path is not searchable)", .0.display())]
    NotExecutable(PathBuf),
    #[error("cannot start {}: the working directory {} does not exist or is not a directory", .program.display(), .cwd.display())]
    NoCwd { program: PathBuf, cwd: PathBuf },
    #[error("cannot start {}: {source}", .program.display())]
    Os { program: PathBuf, source: io::Error },
    #[error("cannot start {}: no pipe for its {what}: {source}", .program.display())]
    Pipe {
        program: PathBuf,
        what: &'static str,
        source: io::Error,
    },
}

pub(crate) struct Spawned {
    pub child: tokio::process::Child,
    pub pid: u32,
    pub output: Receiver,
    pub events: Option<Receiver>,
}

/// A pipe whose ends are close-on-exec (so no other child the service starts meanwhile inherits
/// them) and numbered above 3 (so the child's dup2 onto 0-3 always makes a new, inheritable fd).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = pipe2(OFlag::O_CLOEXEC)?;
    Ok((above_3(r)?, above_3(w)?))
}

fn above_3(fd: OwnedFd) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() > EVENTS_FD {
        return Ok(fd);
    }
    let raw = fcntl(&fd, FcntlArg::F_DUPFD_CLOEXEC(EVENTS_FD + 1))?;
    // SAFETY: F_DUPFD_CLOEXEC returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// In the child between fork and exec: async-signal-safe calls only.
fn child_fds(events: Option<RawFd>, open_files: Option<u64>) -> io::Result<()> {
    if let Some(soft) = open_files {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit are plain system calls on a local struct.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
                lim.rlim_cur = soft.min(lim.rlim_max);
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
    }
    // Whatever the service left inheritable (a library's fd without O_CLOEXEC) is marked
    // close-on-exec rather than closed: std's own error pipe must stay open until the exec.
    // Kernels before 5.11 refuse the flag; then only what was close-on-exec already is closed.
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only changes fd flags.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            EVENTS_FD as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
    }
    if let Some(fd) = events {
        // dup2 onto a different number gives a descriptor without FD_CLOEXEC: it survives exec.
        // SAFETY: both are plain descriptor numbers; fd stays open in this process until exec.
        if unsafe { libc::dup2(fd, EVENTS_FD) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

pub(crate) fn spawn(spec: &Spec) -> Result<Spawned, SpawnError> {
    let program = spec.program.clone();
    if !program.is_absolute() {
        return Err(SpawnError::NotAbsolute(program));
    }
    let pipe_err = |what| {
        let program = program.clone();
        move |source| SpawnError::Pipe {
            program,
            what,
            source,
        }
    };
    let (out_r, out_w) = pipe().map_err(pipe_err("output"))?;
    let out_w2 = out_w.try_clone().map_err(pipe_err("output"))?;
    let events = if spec.events_fd {
        Some(pipe().map_err(pipe_err("events"))?)
    } else {
        None
    };
    // The read ends are registered with the runtime before the child exists, so a failure here
    // leaves nothing running.
    let output = Receiver::from_owned_fd(out_r).map_err(pipe_err("output"))?;
    let (events_r, events_w) = match events {
        Some((r, w)) => (
            Some(Receiver::from_owned_fd(r).map_err(pipe_err("events"))?),
            Some(w),
        ),
        None => (None, None),
    };

    let mut cmd = std::process::Command::new(&program);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        // One pipe behind both: the service shows them interleaved as a terminal would.
        .stdout(Stdio::from(out_w))
        .stderr(Stdio::from(out_w2))
        .process_group(0);
    let events_raw = events_w.as_ref().map(AsRawFd::as_raw_fd);
    let open_files = spec.open_files;
    // SAFETY: child_fds makes only async-signal-safe calls (setrlimit, close_range, dup2).
    unsafe {
        cmd.pre_exec(move || child_fds(events_raw, open_files));
    }
    let mut cmd = tokio::process::Command::from(cmd);
    let child = cmd.spawn();
    // The parent's copies of the write ends go now: the reader sees EOF once the child's side
    // has closed them.
    drop(cmd);
    drop(events_w);
    let child = child.map_err(|e| diagnose(&program, &spec.cwd, e))?;
    let Some(pid) = child.id() else {
        return Err(SpawnError::Os {
            program,
            source: io::Error::other("the child has no pid"),
        });
    };
    Ok(Spawned {
        child,
        pid,
        output,
        events: events_r,
    })
}

/// std reports a missing working directory and a missing program both as ENOENT.
fn diagnose(program: &Path, cwd: &Path, e: io::Error) -> SpawnError {
    let program = program.to_path_buf();
    if !cwd.is_dir() {
        return SpawnError::NoCwd {
            program,
            cwd: cwd.to_path_buf(),
        };
    }
    match e.kind() {
        io::ErrorKind::NotFound => SpawnError::NoProgram(program),
        io::ErrorKind::PermissionDenied => SpawnError::NotExecutable(program),
        _ => SpawnError::Os { program, source: e },
    }
}
