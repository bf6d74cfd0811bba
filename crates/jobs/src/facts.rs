// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What an inventory needs from a job file, read fast: a dir of 10,000 jobs must be listed in
//! tens of milliseconds.
//!
//! Per file: `openat` on the dir's descriptor (`O_NOFOLLOW`), one `fstat` (kind, size, mtime),
//! one `read` of exactly that size, `close`. The JSON is parsed into the dozen keys used, skipping
//! the rest (an output of megabytes is scanned, never copied). A file this fast path cannot parse
//! goes through [`JobFile::parse`], so the verdict is always the one status gives.

use crate::jobfile::{truthy, JobFile};
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::Mode;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::time::SystemTime;

/// What the job file says.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// The start marker.
    Running,
    /// A result (the module's, the wrapper's time-out, or a finished marker).
    Finished,
    /// The killed mark of async_kill.
    Killed,
    /// Not a job file: the reason.
    Unreadable(String),
}

/// The keys an inventory reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// What the file says.
    pub said: Said,
    /// `failed` is true.
    pub failed: bool,
    /// `msg`, when it is text.
    pub msg: Option<String>,
    /// `child_pid`: the module the wrapper killed at its time limit.
    pub child_pid: Option<i64>,
    /// `rc`.
    pub rc: Option<i64>,
    /// `start` and `end` of the command and shell modules.
    pub start: Option<String>,
    /// See `start`.
    pub end: Option<String>,
    /// The command, when the file names it.
    pub command: Option<String>,
}

impl Facts {
    fn unreadable(why: String) -> Facts {
        Facts {
            said: Said::Unreadable(why),
            failed: false,
            msg: None,
            child_pid: None,
            rc: None,
            start: None,
            end: None,
            command: None,
        }
    }

    /// From a job file already parsed.
    pub fn from_job_file(file: JobFile) -> Facts {
        let (said, d) = match file {
            JobFile::Running(d) => (Said::Running, d),
            JobFile::Finished(d) => (Said::Finished, d),
            JobFile::Killed(d) => (Said::Killed, d),
            JobFile::Unreadable(why) => return Facts::unreadable(why),
        };
        let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
        let args = d
            .get("invocation")
            .and_then(|i| i.get("module_args"))
            .and_then(Value::as_object);
        Facts {
            said,
            failed: truthy(d.get("failed")),
            msg: text("msg"),
            child_pid: d.get("child_pid").and_then(Value::as_i64),
            rc: d.get("rc").and_then(Value::as_i64),
            start: text("start"),
            end: text("end"),
            command: command(
                d.get("cmd"),
                args.map_or([None, None, None], |a| {
                    [a.get("_raw_params"), a.get("argv"), a.get("cmd")]
                }),
            ),
        }
    }

    /// Parses a job file's bytes: the fast path, else the full one.
    pub fn parse(bytes: &[u8]) -> Facts {
        match serde_json::from_slice::<Lite>(bytes) {
            Ok(lite) => lite.into_facts(),
            Err(_) => Facts::from_job_file(match std::str::from_utf8(bytes) {
                Ok(text) => JobFile::parse(text),
                Err(e) => JobFile::Unreadable(format!("the job file is not valid JSON ({e})")),
            }),
        }
    }
}

/// A key's presence, whatever its value (`"started": null` counts, as in [`JobFile`]).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Present(true))
    }
}

#[derive(Deserialize)]
struct Args {
    #[serde(rename = "_raw_params")]
    raw_params: Option<Value>,
    argv: Option<Value>,
    cmd: Option<Value>,
}

#[derive(Deserialize)]
struct Invocation {
    module_args: Option<Args>,
}

/// Duplicate keys make serde fail where a map keeps the last: such a file takes the full path.
#[derive(Deserialize)]
struct Lite {
    #[serde(default)]
    started: Present,
    finished: Option<Value>,
    killed: Option<Value>,
    failed: Option<Value>,
    msg: Option<Value>,
    child_pid: Option<Value>,
    rc: Option<Value>,
    cmd: Option<Value>,
    start: Option<Value>,
    end: Option<Value>,
    invocation: Option<Invocation>,
}

impl Lite {
    fn into_facts(self) -> Facts {
        let said = if truthy(self.killed.as_ref()) {
            Said::Killed
        } else if !self.started.0 || truthy(self.finished.as_ref()) {
            Said::Finished
        } else {
            Said::Running
        };
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let a = self.invocation.and_then(|i| i.module_args);
        let args = a.as_ref().map_or([None, None, None], |a| {
            [a.raw_params.as_ref(), a.argv.as_ref(), a.cmd.as_ref()]
        });
        Facts {
            said,
            failed: truthy(self.failed.as_ref()),
            child_pid: self.child_pid.as_ref().and_then(Value::as_i64),
            rc: self.rc.as_ref().and_then(Value::as_i64),
            command: command(self.cmd.as_ref(), args),
            msg: text(self.msg),
            start: text(self.start),
            end: text(self.end),
        }
    }
}

/// `cmd`, else the module's `_raw_params`, `argv` or `cmd` argument, in that order.
fn command(cmd: Option<&Value>, args: [Option<&Value>; 3]) -> Option<String> {
    let words = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => Some(
                a.iter()
                    .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        }
    };
    if let Some(c) = cmd.and_then(words) {
        return Some(c);
    }
    args.into_iter().flatten().find_map(words)
}

/// A job file bigger than this is not read into memory (an inventory of a dir where one job
/// printed gigabytes must still answer); it is listed as corrupt with the reason.
const MAX_JOB_FILE: usize = 256 << 20;

/// A job file as opened: its facts, its mtime, and whether it is a regular file.
pub struct Opened {
    /// What it says (unreadable for a link, a dir, a FIFO: never followed, never opened for data).
    pub facts: Facts,
    /// Its modification time (the link's own, for a link).
    pub modified: Option<SystemTime>,
    /// A regular file or a symlink: a name a prune may unlink.
    pub unlinkable: bool,
}

/// Opens `name` in the dir `dirfd` without following a link. `Ok(None)` when it is gone. The
/// file is read into `bytes` (its contents are replaced): a caller reading many files allocates
/// one buffer, not one per file.
pub fn read_at(
    dirfd: impl AsFd,
    name: &str,
    bytes: &mut Vec<u8>,
) -> std::io::Result<Option<Opened>> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = match openat(dirfd.as_fd(), name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(nix::errno::Errno::ENOENT) => return Ok(None),
        Err(nix::errno::Errno::ELOOP) => {
            return Ok(Some(not_regular(&dirfd, name, "it is a symlink")))
        }
        // One file the user cannot open (left by another user, mode 000) is that job's problem,
        // listed with the reason; it must not hide every other job of the dir.
        Err(e @ (nix::errno::Errno::EACCES | nix::errno::Errno::EPERM)) => {
            return Ok(Some(unopenable(&dirfd, name, e)))
        }
        Err(e) => return Err(e.into()),
    };
    let mut file = File::from(fd);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Some(Opened {
            facts: Facts::unreadable(format!("{name} is not a regular file; refusing to read it")),
            modified: meta.modified().ok(),
            unlinkable: false,
        }));
    }
    // Read exactly the size fstat gave, then stop: the wrapper renames complete files into place
    // and never appends, so a file's size does not change. `read_to_end` would add a stat, a seek
    // and a read to every file, doubling the system calls of an inventory.
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if size > MAX_JOB_FILE {
        return Ok(Some(Opened {
            facts: Facts::unreadable(format!(
                "the job file is over {} MiB; not read",
                MAX_JOB_FILE >> 20
            )),
            modified: meta.modified().ok(),
            unlinkable: true,
        }));
    }
    bytes.clear();
    bytes.resize(size, 0);
    let mut len = 0;
    while len < bytes.len() {
        match file.read(&mut bytes[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(len);
    let facts = if bytes.iter().all(u8::is_ascii_whitespace) {
        Facts::unreadable("the job file is empty".into())
    } else {
        Facts::parse(bytes)
    };
    Ok(Some(Opened {
        facts,
        modified: meta.modified().ok(),
        unlinkable: true,
    }))
}

/// The name's own stat (a link's, never its target's): its mtime and its file type.
fn lstat_at(dirfd: &impl AsFd, name: &str) -> (Option<SystemTime>, Option<nix::sys::stat::SFlag>) {
    use nix::sys::stat::SFlag;
    let Ok(m) = nix::sys::stat::fstatat(
        dirfd.as_fd(),
        name,
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    ) else {
        return (None, None);
    };
    let modified = SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(u64::try_from(m.st_mtime).unwrap_or(0));
    (
        Some(modified),
        Some(SFlag::from_bits_truncate(m.st_mode) & SFlag::S_IFMT),
    )
}

fn unopenable(dirfd: &impl AsFd, name: &str, e: nix::errno::Errno) -> Opened {
    use nix::sys::stat::SFlag;
    let (modified, kind) = lstat_at(dirfd, name);
    Opened {
        facts: Facts::unreadable(format!("{name} could not be opened: {}", e.desc())),
        modified,
        unlinkable: matches!(kind, Some(k) if k == SFlag::S_IFREG || k == SFlag::S_IFLNK),
    }
}

fn not_regular(dirfd: &impl AsFd, name: &str, why: &str) -> Opened {
    let (modified, _) = lstat_at(dirfd, name);
    Opened {
        facts: Facts::unreadable(format!("{name}: {why}; refusing to follow it")),
        modified,
        unlinkable: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: [&str; 8] = [
        include_str!("../fixtures/started_2.18.json"),
        include_str!("../fixtures/started_2.19.json"),
        include_str!("../fixtures/finished_2.18.json"),
        include_str!("../fixtures/finished_2.19.json"),
        include_str!("../fixtures/timeout_2.18.json"),
        include_str!("../fixtures/timeout_2.19.json"),
        include_str!("../fixtures/non_json_2.18.json"),
        include_str!("../fixtures/non_json_2.19.json"),
    ];

    #[test]
    fn an_oversized_job_file_is_listed_unread_without_allocating_its_size() {
        let d = std::env::temp_dir().join(format!("jobs-facts-big-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        // Sparse: the size is there, the disk blocks are not.
        let f = File::create(d.join("j1.1")).unwrap();
        f.set_len(MAX_JOB_FILE as u64 + 1).unwrap();
        drop(f);
        let dir = File::open(&d).unwrap();
        let mut bytes = Vec::new();
        let opened = read_at(&dir, "j1.1", &mut bytes).unwrap().unwrap();
        assert!(matches!(opened.facts.said, Said::Unreadable(ref why) if why.contains("not read")));
        assert!(
            bytes.capacity() < 1 << 20,
            "{} bytes allocated",
            bytes.capacity()
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_listed_with_the_reason() {
        // As root the test cannot be refused an open, so it checks what a refusal turns into.
        let d = std::env::temp_dir().join(format!("jobs-facts-acces-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("j2.2"), "{}").unwrap();
        let dir = File::open(&d).unwrap();
        let opened = unopenable(&dir, "j2.2", nix::errno::Errno::EACCES);
        assert!(
            matches!(opened.facts.said, Said::Unreadable(ref why) if why.contains("Permission denied"))
        );
        assert!(opened.unlinkable && opened.modified.is_some());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_fast_path_agrees_with_the_full_one() {
        let odd = [
            r#"{"started": null}"#,
            r#"{"started": 1, "finished": 0, "killed": "yes"}"#,
            r#"{"rc": 0, "rc": 1}"#,
            r#"{"cmd": ["ls", "-l"], "failed": "true"}"#,
            r#"{"invocation": {"module_args": {"argv": ["a", 1]}}}"#,
            r#"{"invocation": "x"}"#,
            "[1]",
            "{\"a\": 1",
        ];
        for text in FIXTURES.iter().chain(odd.iter()) {
            let full = Facts::from_job_file(JobFile::parse(text));
            let fast = Facts::parse(text.as_bytes());
            match (&full.said, &fast.said) {
                (Said::Unreadable(_), Said::Unreadable(_)) => {}
                _ => assert_eq!(fast, full, "{text}"),
            }
        }
    }
}
