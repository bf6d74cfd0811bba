// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A job's state: what its file says, corrected by whether its wrapper is still alive.

use crate::dir::AsyncDir;
use crate::error::{read_err, Result};
use crate::jobfile::JobFile;
use crate::liveness::runner_alive;
use crate::names::Jid;
use safe_fs::open_regular;
use serde_json::{Map, Value};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Where a job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Not finished, and its wrapper is alive.
    Running,
    /// The job file holds its result.
    Finished,
    /// Stopped by async_kill (the file carries the killed mark).
    Killed,
    /// Not finished, and no wrapper process is left to finish it.
    Dead,
    /// The file cannot be parsed; the reason says how.
    Corrupt(String),
}

/// A job as read from its file and classified.
#[derive(Debug, Clone)]
pub struct Job {
    /// Its id.
    pub jid: Jid,
    /// Its job file.
    pub path: PathBuf,
    /// Where it stands.
    pub state: State,
    /// The job file's keys (empty when corrupt).
    pub data: Map<String, Value>,
}

impl Job {
    /// Finished or killed: the file holds its last word.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished | State::Killed)
    }
    /// Only a job with a live wrapper may still change; everything else is safe to delete.
    pub fn is_live(&self) -> bool {
        self.state == State::Running
    }
}

/// Reads and classifies a job. `Ok(None)` when its file does not exist.
pub fn probe(dir: &AsyncDir, jid: &Jid) -> Result<Option<Job>> {
    probe_path(&dir.job_file(jid), jid)
}

fn probe_path(path: &Path, jid: &Jid) -> Result<Option<Job>> {
    let Some(file) = read_job_file(path)? else {
        return Ok(None);
    };
    let (state, data) = match file {
        JobFile::Finished(d) => (State::Finished, d),
        JobFile::Killed(d) => (State::Killed, d),
        JobFile::Unreadable(why) => (State::Corrupt(why), Map::new()),
        JobFile::Running(d) => {
            if runner_alive(jid.prefix()) {
                (State::Running, d)
            } else {
                // The wrapper may have finished between our read and the scan: read once more.
                match read_job_file(path)? {
                    Some(JobFile::Running(d)) => (State::Dead, d),
                    Some(JobFile::Finished(d)) => (State::Finished, d),
                    Some(JobFile::Killed(d)) => (State::Killed, d),
                    Some(JobFile::Unreadable(why)) => (State::Corrupt(why), Map::new()),
                    None => return Ok(None),
                }
            }
        }
    };
    Ok(Some(Job {
        jid: jid.clone(),
        path: path.to_path_buf(),
        state,
        data,
    }))
}

/// A symlink or a non-file in place of the job file is damage: reported, never followed.
fn read_job_file(path: &Path) -> Result<Option<JobFile>> {
    let file = match open_regular(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == ErrorKind::InvalidData => {
            return Ok(Some(JobFile::Unreadable(e.to_string())))
        }
        Err(e) => return Err(read_err(path)(e)),
    };
    JobFile::read(file).map(Some).map_err(read_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::process::CommandExt;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("jobs-status-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn running_marker_without_wrapper_is_dead() {
        let d = tmpdir("dead");
        let jid = Jid::parse("j999888777666.1").unwrap();
        fs::write(d.join(jid.as_str()), r#"{"started": 1, "finished": 0}"#).unwrap();
        let job = probe(&AsyncDir::from_path(&d), &jid).unwrap().unwrap();
        assert_eq!(job.state, State::Dead);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn running_marker_with_live_wrapper_is_running() {
        let d = tmpdir("live");
        let jid = Jid::parse("j999888777665.1").unwrap();
        fs::write(
            d.join(jid.as_str()),
            r#"{"started": true, "finished": false}"#,
        )
        .unwrap();
        let mut wrapper = std::process::Command::new("sh")
            .args(["-c", "sleep 30", "/x/async_wrapper.py", jid.prefix(), "60"])
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let job = probe(&AsyncDir::from_path(&d), &jid).unwrap().unwrap();
        let _ = wrapper.kill();
        let _ = wrapper.wait();
        assert_eq!(job.state, State::Running);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn missing_corrupt_and_unreadable_files() {
        let d = tmpdir("misc");
        let dir = AsyncDir::from_path(&d);
        let jid = Jid::parse("j1.2").unwrap();
        assert!(probe(&dir, &jid).unwrap().is_none());
        fs::write(d.join("j1.2"), "{\"started\": 1, \"fin").unwrap();
        assert!(matches!(
            probe(&dir, &jid).unwrap().unwrap().state,
            State::Corrupt(_)
        ));
        fs::write(d.join("j1.2"), [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(
            probe(&dir, &jid).unwrap().unwrap().state,
            State::Corrupt(_)
        ));
        // A directory or a symlink in place of the file is damage, named, and never followed.
        fs::remove_file(d.join("j1.2")).unwrap();
        fs::create_dir(d.join("j1.2")).unwrap();
        match probe(&dir, &jid).unwrap().unwrap().state {
            State::Corrupt(why) => assert!(why.contains("j1.2"), "{why}"),
            other => panic!("{other:?}"),
        }
        fs::remove_dir(d.join("j1.2")).unwrap();
        fs::write(d.join("secret"), r#"{"rc": 0, "stdout": "secret"}"#).unwrap();
        std::os::unix::fs::symlink(d.join("secret"), d.join("j1.2")).unwrap();
        let job = probe(&dir, &jid).unwrap().unwrap();
        assert!(matches!(job.state, State::Corrupt(_)), "{:?}", job.state);
        assert!(job.data.is_empty());
        fs::remove_dir_all(&d).unwrap();
    }
}
