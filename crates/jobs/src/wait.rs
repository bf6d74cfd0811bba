// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Held waits: look a job up, and while it runs, look again at every change of its files and at
//! least once a second, until it ends or the time is up.
//!
//! The async wrapper writes a job's result to `<jid>.tmp` and renames it over `<jid>`; async_kill
//! and async_alias rename into place too. So inotify on the async dir sees every change that ends
//! a wait, without reading anything in between. Two things inotify cannot see are covered by the
//! one-second tick: a wrapper that dies without writing (only /proc shows it), and filesystems
//! whose changes are made elsewhere (NFS) or an inotify that cannot start (the per-user
//! `max_user_instances` limit): then the wait is plain 1 s polling, never an error.

use crate::dir::AsyncDir;
use crate::error::Result;
use crate::locate::{locate, Located, Wanted};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::ffi::OsString;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// The longest hold one call may ask for; longer waits are several calls (async_wait does that),
/// so a connection that died is noticed within the hour, and a typo like 36000 is refused.
pub const MAX_WAIT: Duration = Duration::from_secs(3600);

/// How stale a look may get: the wrapper's death and NFS changes are seen within this.
const TICK: Duration = Duration::from_secs(1);

/// Looks the job up like [`locate`], and while it is running (a live wrapper, no result yet)
/// keeps looking, until it finishes, fails, is killed, loses its wrapper, or `hold` has passed.
/// Returns the last look: exactly what a poll at that moment would return. An alias is
/// re-resolved at each look, so a name moved to another job is followed. `hold` zero is a poll.
pub fn wait(dir: &AsyncDir, wanted: &Wanted, hold: Duration) -> Result<Located> {
    let watch = if hold.is_zero() {
        Watch::none()
    } else {
        Watch::new(dir.path())
    };
    wait_with(dir, wanted, hold, &watch)
}

fn wait_with(dir: &AsyncDir, wanted: &Wanted, hold: Duration, watch: &Watch) -> Result<Located> {
    // Watching starts before the first look, so a change between the look and the sleep wakes us.
    let deadline = Instant::now() + hold.min(MAX_WAIT);
    loop {
        let found = locate(dir, wanted.clone())?;
        let running = found.job.as_ref().is_some_and(crate::Job::is_live);
        let left = deadline.saturating_duration_since(Instant::now());
        if !running || left.is_zero() {
            return Ok(found);
        }
        watch.sleep(left.min(TICK), &names(wanted, &found));
    }
}

/// The entries of the async dir whose change may end the wait: the job file and the alias link.
fn names(wanted: &Wanted, found: &Located) -> Vec<OsString> {
    let mut names = Vec::with_capacity(2);
    if let Some(jid) = &found.jid {
        names.push(OsString::from(jid.as_str()));
    }
    if let Wanted::Alias(a) = wanted {
        names.push(OsString::from(format!(
            "{}{}",
            crate::ALIAS_PREFIX,
            a.as_str()
        )));
    }
    names
}

/// An inotify watch on the async dir, or nothing when inotify is unavailable (then sleeping is
/// plain sleeping, and the tick does the work).
struct Watch(Option<Inotify>);

impl Watch {
    fn none() -> Self {
        Watch(None)
    }

    fn new(dir: &Path) -> Self {
        let flags = AddWatchFlags::IN_CLOSE_WRITE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_DELETE_SELF
            | AddWatchFlags::IN_MOVE_SELF
            | AddWatchFlags::IN_ONLYDIR;
        let watch = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
            .ok()
            .filter(|i| i.add_watch(dir, flags).is_ok());
        Watch(watch)
    }

    /// Sleeps up to `d`, or until one of `names` (or the dir itself) changes.
    fn sleep(&self, d: Duration, names: &[OsString]) {
        let Some(inotify) = &self.0 else {
            std::thread::sleep(d);
            return;
        };
        let until = Instant::now() + d;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) => return,
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                // A poll that cannot work would spin: sleep the rest instead.
                Err(_) => {
                    std::thread::sleep(left);
                    return;
                }
            }
            match inotify.read_events() {
                Ok(events) if events.iter().any(|e| relevant(e, names)) => return,
                Ok(_) | Err(Errno::EAGAIN) => {}
                Err(_) => {
                    std::thread::sleep(left);
                    return;
                }
            }
        }
    }
}

/// Another job's files changing is no reason to look again; a lost event (queue overflow) or a
/// change of the dir itself is.
fn relevant(e: &nix::sys::inotify::InotifyEvent, names: &[OsString]) -> bool {
    let dir_events = AddWatchFlags::IN_Q_OVERFLOW
        | AddWatchFlags::IN_DELETE_SELF
        | AddWatchFlags::IN_MOVE_SELF
        | AddWatchFlags::IN_IGNORED;
    if e.mask.intersects(dir_events) {
        return true;
    }
    match &e.name {
        Some(n) => names.contains(n),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{AliasName, Jid};
    use crate::State;
    use std::fs;
    use std::os::unix::process::CommandExt;
    use std::path::PathBuf;
    use std::process::{Child, Command};
    use std::thread;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("jobs-wait-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    /// A real process with the wrapper's argv, in its own group: the job's runner.
    fn wrapper(jid: &Jid) -> Child {
        let c = Command::new("sh")
            .args(["-c", "sleep 30", "/x/async_wrapper.py", jid.prefix(), "60"])
            .process_group(0)
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(50));
        c
    }

    fn stop(mut c: Child) {
        let _ = c.kill();
        let _ = c.wait();
    }

    /// Writes the way the async wrapper does: a temp file renamed over the job file.
    fn write_job(d: &Path, jid: &Jid, text: &str) {
        let tmp = d.join(format!("{}.tmp", jid.as_str()));
        fs::write(&tmp, text).unwrap();
        fs::rename(tmp, d.join(jid.as_str())).unwrap();
    }

    fn running(d: &Path, jid: &Jid) {
        write_job(d, jid, r#"{"started": 1, "finished": 0}"#);
    }

    /// Ends the job after `after` from a thread; returns when it wrote.
    fn finish_later(d: &Path, jid: &Jid, after: Duration) -> thread::JoinHandle<Instant> {
        let (d, jid) = (d.to_path_buf(), jid.clone());
        thread::spawn(move || {
            thread::sleep(after);
            write_job(&d, &jid, r#"{"rc": 0, "stdout": "done", "changed": true}"#);
            Instant::now()
        })
    }

    #[test]
    fn returns_right_after_the_job_finishes() {
        let d = tmpdir("finish");
        let jid = Jid::parse("j777666555001.1").unwrap();
        running(&d, &jid);
        let w = wrapper(&jid);
        let writer = finish_later(&d, &jid, Duration::from_millis(300));
        let found = wait(
            &AsyncDir::from_path(&d),
            &Wanted::Jid(jid.clone()),
            Duration::from_secs(10),
        )
        .unwrap();
        let returned = Instant::now();
        let wrote = writer.join().unwrap();
        stop(w);
        assert_eq!(found.job.unwrap().state, State::Finished);
        let late = returned.saturating_duration_since(wrote);
        assert!(
            late < Duration::from_millis(100),
            "returned {late:?} after the write"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn by_alias_follows_the_name_and_ignores_other_jobs() {
        let d = tmpdir("alias");
        let jid = Jid::parse("j777666555002.1").unwrap();
        running(&d, &jid);
        std::os::unix::fs::symlink(jid.as_str(), d.join("jid_night")).unwrap();
        let w = wrapper(&jid);
        // Another job's churn must not end the wait.
        let other = d.clone();
        let noise = thread::spawn(move || {
            for i in 0..20 {
                fs::write(other.join(format!("j1.{i}")), "{}").unwrap();
                thread::sleep(Duration::from_millis(10));
            }
        });
        let writer = finish_later(&d, &jid, Duration::from_millis(400));
        let wanted = Wanted::Alias(AliasName::parse("night").unwrap());
        let found = wait(&AsyncDir::from_path(&d), &wanted, Duration::from_secs(10)).unwrap();
        let returned = Instant::now();
        let wrote = writer.join().unwrap();
        noise.join().unwrap();
        stop(w);
        assert_eq!(found.job.unwrap().state, State::Finished);
        assert!(returned >= wrote);
        assert!(returned - wrote < Duration::from_millis(100));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_dead_wrapper_ends_the_wait_within_the_tick() {
        let d = tmpdir("dead");
        let jid = Jid::parse("j777666555003.1").unwrap();
        running(&d, &jid);
        let w = wrapper(&jid);
        let killer = thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            stop(w);
            Instant::now()
        });
        let found = wait(
            &AsyncDir::from_path(&d),
            &Wanted::Jid(jid.clone()),
            Duration::from_secs(10),
        )
        .unwrap();
        let died = killer.join().unwrap();
        assert_eq!(found.job.unwrap().state, State::Dead);
        let late = Instant::now().saturating_duration_since(died);
        assert!(late < TICK + Duration::from_millis(300), "{late:?}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn time_up_returns_the_running_status() {
        let d = tmpdir("timeout");
        let jid = Jid::parse("j777666555004.1").unwrap();
        running(&d, &jid);
        let w = wrapper(&jid);
        let start = Instant::now();
        let found = wait(
            &AsyncDir::from_path(&d),
            &Wanted::Jid(jid.clone()),
            Duration::from_millis(1500),
        )
        .unwrap();
        let took = start.elapsed();
        stop(w);
        assert_eq!(found.job.unwrap().state, State::Running);
        assert!(took >= Duration::from_millis(1500), "{took:?}");
        assert!(took < Duration::from_millis(1900), "{took:?}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn zero_is_a_poll() {
        let d = tmpdir("zero");
        let dir = AsyncDir::from_path(&d);
        let jid = Jid::parse("j777666555005.1").unwrap();
        running(&d, &jid);
        let w = wrapper(&jid);
        let start = Instant::now();
        let held = wait(&dir, &Wanted::Jid(jid.clone()), Duration::ZERO).unwrap();
        assert!(start.elapsed() < Duration::from_millis(200));
        let polled = locate(&dir, Wanted::Jid(jid.clone())).unwrap();
        stop(w);
        assert_eq!(held.job.unwrap().state, polled.job.unwrap().state);
        // Nothing to wait for (no such job, no such name): answered at once too.
        let start = Instant::now();
        let none = wait(
            &dir,
            &Wanted::Alias(AliasName::parse("nobody").unwrap()),
            Duration::from_secs(10),
        )
        .unwrap();
        assert!(none.job.is_none() && start.elapsed() < Duration::from_millis(200));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn without_inotify_it_polls_each_second() {
        let d = tmpdir("noinotify");
        let jid = Jid::parse("j777666555006.1").unwrap();
        running(&d, &jid);
        let w = wrapper(&jid);
        let writer = finish_later(&d, &jid, Duration::from_millis(300));
        let found = wait_with(
            &AsyncDir::from_path(&d),
            &Wanted::Jid(jid.clone()),
            Duration::from_secs(10),
            &Watch::none(),
        )
        .unwrap();
        let late = Instant::now().saturating_duration_since(writer.join().unwrap());
        stop(w);
        assert_eq!(found.job.unwrap().state, State::Finished);
        assert!(late <= TICK + Duration::from_millis(100), "{late:?}");
        fs::remove_dir_all(&d).unwrap();
    }
}
