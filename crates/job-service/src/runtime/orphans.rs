// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What a killed worker leaves behind on its machine: a job dir and maybe a playbook still
//! running in its own process group. The store can end such a job (`failed`, reason `lost`) from
//! any machine, but only a process on this machine can stop the run, so each run holds a lock
//! in its job dir, and a scan kills the runs of dirs whose lock nobody holds any more.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg, OFlag};

const LOCK: &str = "run.lock";
const PID: &str = "run.pid";

/// Held by the process that runs the job; the kernel lets go of it when that process dies.
pub struct Claim {
    _lock: Flock<File>,
}

impl Claim {
    /// Locks the job dir. The lock file is locked before it gets its name, so a scan never
    /// finds an unlocked `run.lock` of a live run.
    pub fn take(job_dir: &Path) -> std::io::Result<Self> {
        let tmp = job_dir.join(format!(".{LOCK}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(OFlag::O_NOFOLLOW.bits())
            .open(&tmp)?;
        let lock = Flock::lock(file, FlockArg::LockExclusiveNonblock)
            .map_err(|(_, e)| std::io::Error::from(e))?;
        std::fs::rename(&tmp, job_dir.join(LOCK))?;
        Ok(Self { _lock: lock })
    }
}

/// The run's leader and its start time, so a scan kills that group and no other.
pub fn write_pid(job_dir: &Path, pid: u32, start_time: u64) -> std::io::Result<()> {
    let tmp = job_dir.join(format!(".{PID}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(OFlag::O_NOFOLLOW.bits())
        .open(&tmp)?;
    writeln!(f, "{pid} {start_time}")?;
    // Temp and rename keep a crash of the service from leaving half a line. No fsync: the file
    // names a process, and a power cut that could lose the file ends that process too; a crash
    // of the service alone loses nothing the kernel has. (An fsync per job blocked a worker
    // thread; docs/performance.md.)
    std::fs::rename(&tmp, job_dir.join(PID))
}

fn read_pid(job_dir: &Path) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(job_dir.join(PID)).ok()?;
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    Some((pid, start))
}

/// Every job dir under `<data-dir>/jobs` whose run lock is free: its owner died. Kills what is
/// left of its run and removes the dir (it holds the extra vars). Returns the dirs cleared.
pub fn sweep(jobs_dir: &Path, grace: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(jobs_dir) else {
        return 0;
    };
    let mut cleared = 0;
    for entry in entries.flatten() {
        let dir = entry.path();
        // Only dirs named as job ids: anything else here is not ours to remove.
        let named_as_job = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.parse::<job_core::JobId>().is_ok());
        if !named_as_job || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(OFlag::O_NOFOLLOW.bits())
            .open(dir.join(LOCK))
        else {
            // No lock yet: a run is being set up, or the dir is older than this scheme.
            continue;
        };
        let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            continue;
        };
        if let Some((pid, start)) = read_pid(&dir) {
            if job_runner::kill_group_if_same(pid, start, grace) {
                tracing::warn!(dir = %dir.display(), pid, "killed what was left of a dead worker's run");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        drop(lock);
        cleared += 1;
    }
    cleared
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[test]
    fn a_held_claim_is_spared_and_a_dropped_one_is_swept() {
        let root = tempfile::tempdir().unwrap();
        let live = root.path().join(job_core::JobId::new().to_string());
        let dead = root.path().join(job_core::JobId::new().to_string());
        let other = root.path().join("not-a-job");
        for d in [&live, &dead, &other] {
            std::fs::create_dir(d).unwrap();
        }
        let held = Claim::take(&live).unwrap();
        drop(Claim::take(&dead).unwrap());
        File::create(other.join(LOCK)).unwrap();
        assert_eq!(sweep(root.path(), Duration::from_millis(10)), 1);
        assert!(live.is_dir());
        assert!(!dead.exists());
        assert!(other.is_dir());
        drop(held);
        assert_eq!(sweep(root.path(), Duration::from_millis(10)), 1);
        assert!(!live.exists());
    }

    #[test]
    fn the_sweep_kills_the_group_of_a_dead_owner() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(job_core::JobId::new().to_string());
        std::fs::create_dir(&dir).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = child.id();
        let start = job_runner::process_start_time(pid).unwrap();
        drop(Claim::take(&dir).unwrap());
        write_pid(&dir, pid, start).unwrap();
        assert_eq!(sweep(root.path(), Duration::from_millis(200)), 1);
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "the orphan run was not killed: {status:?}"
        );
    }
}
