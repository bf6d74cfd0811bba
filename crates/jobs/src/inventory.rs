// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The inventory of an async dir (async_job_info, async_prune): every job with its names, the
//! names whose job is gone, the claims and the leftovers, from one pass over the dir and one scan
//! of /proc whatever the number of jobs.
//!
//! Nothing is read through a symlink: job files are opened with `O_NOFOLLOW` (a link in place of
//! one is a corrupt job), and an alias counts only when its target names a job file directly in
//! this dir (the rules of [`confined_jid`]); its target is never opened, only `<dir>/<jid>`.

use crate::alias::confined_jid;
use crate::claim::{self, Claim, Held};
use crate::dir::AsyncDir;
use crate::error::{read_err, Result};
use crate::facts::{read_at, Facts, Opened, Said};
use crate::filter::JobState;
use crate::liveness::{all_wrappers, runner_pid, WrapperProcess};
use crate::names::{AliasName, Jid, ALIAS_PREFIX};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use std::collections::HashMap;
use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where a job's `start` and `end` come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimesFrom {
    /// The job file's own `start`/`end` keys (the command and shell modules write them, in the
    /// host's local time).
    Job,
    /// The job file's modification time, in UTC: when the wrapper wrote the start marker (a job
    /// not ended) or the result (an ended one).
    File,
}

impl TimesFrom {
    /// As in results.
    pub fn as_str(self) -> &'static str {
        match self {
            TimesFrom::Job => "job",
            TimesFrom::File => "file",
        }
    }
}

/// One job of the inventory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its id, which is also its file's name.
    pub jid: Jid,
    /// `<dir>/<jid>`.
    pub path: PathBuf,
    /// The aliases that name it, sorted.
    pub names: Vec<String>,
    /// Where it stands.
    pub state: JobState,
    /// Why it is corrupt, or the wrapper's message for a timed-out job.
    pub why: Option<String>,
    /// A wrapper runner for its jid is alive (a corrupt job may still have one).
    pub live: bool,
    /// The job file's modification time.
    pub modified: SystemTime,
    /// When it started, when known.
    pub start: Option<String>,
    /// When it ended, when it has.
    pub end: Option<String>,
    /// Where `start` and `end` come from.
    pub times_from: TimesFrom,
    /// The wrapper's runner while it runs; the killed child of a timed-out job.
    pub pid: Option<i64>,
    /// The module's `rc`, when it has one.
    pub rc: Option<i64>,
    /// The command (`cmd`, or the module's `_raw_params`/`argv`), when the file has it.
    pub command: Option<String>,
    /// `<jid>.tmp` and `<jid>.kill` when they exist.
    pub leftovers: Vec<PathBuf>,
    /// The job file is a regular file or a symlink: something a prune may unlink.
    pub unlinkable: bool,
}

impl Entry {
    /// Time since the job file was last written (zero when its time is in the future).
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.modified).unwrap_or_default()
    }
}

/// An alias whose job file is gone.
#[derive(Debug, Clone)]
pub struct Dangling {
    /// The alias.
    pub name: String,
    /// `<dir>/jid_<alias>`.
    pub path: PathBuf,
    /// The job it names.
    pub jid: Jid,
    /// The link's own modification time.
    pub modified: SystemTime,
}

/// A `.jid_<alias>.claim` file.
#[derive(Debug, Clone)]
pub struct ClaimFile {
    /// The alias it claims.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// What it says, and its age.
    pub held: Held,
}

/// A `<jid>.tmp` or `<jid>.kill` whose job file is gone.
#[derive(Debug, Clone)]
pub struct Orphan {
    /// The file.
    pub path: PathBuf,
    /// The jid in its name.
    pub jid: Jid,
    /// Its modification time.
    pub modified: SystemTime,
    /// A wrapper for its jid is alive: it may be the first result being written.
    pub live: bool,
}

/// Everything async_job_info and async_prune look at in one async dir.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// The jobs, sorted by jid.
    pub jobs: Vec<Entry>,
    /// Aliases whose job file is gone, sorted by name.
    pub dangling: Vec<Dangling>,
    /// Aliases whose target is not a job file in this dir: never followed, never removed.
    pub broken: Vec<PathBuf>,
    /// Claim files, sorted by name.
    pub claims: Vec<ClaimFile>,
    /// Leftovers without a job file.
    pub orphans: Vec<Orphan>,
}

enum Seen {
    Job(Jid),
    Alias(String),
    Claim(String),
    Leftover(Jid),
    Other,
}

fn classify_name(name: &str) -> Seen {
    if let Ok(jid) = Jid::parse(name) {
        return Seen::Job(jid);
    }
    if let Some(alias) = name.strip_prefix(ALIAS_PREFIX) {
        return Seen::Alias(alias.to_string());
    }
    if let Some(alias) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".claim"))
        .and_then(|n| n.strip_prefix(ALIAS_PREFIX))
    {
        return Seen::Claim(alias.to_string());
    }
    for ext in [".tmp", ".kill"] {
        if let Some(jid) = name.strip_suffix(ext).and_then(|j| Jid::parse(j).ok()) {
            return Seen::Leftover(jid);
        }
    }
    Seen::Other
}

/// Reads the whole dir. A missing dir is an empty inventory.
pub fn scan(dir: &AsyncDir) -> Result<Inventory> {
    scan_named(dir, |_| true)
}

/// [`scan`], opening only the job files whose names (its aliases, sorted) `wanted` accepts: a
/// name filter is decided from the listing, and a job it leaves out costs no system call. Such a
/// job is left out of `jobs`, and still counts as present: its names are not dangling and its
/// leftovers are not orphans. Only for a reader that reports selected jobs (async_job_info); a
/// prune plans from the whole dir.
pub fn scan_named(dir: &AsyncDir, wanted: impl Fn(&[String]) -> bool) -> Result<Inventory> {
    let entries = match std::fs::read_dir(dir.path()) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Inventory::default()),
        Err(e) => return Err(read_err(dir.path())(e)),
    };
    let mut jids: Vec<Jid> = Vec::new();
    let mut aliases: Vec<(String, PathBuf)> = Vec::new();
    let mut claim_names: Vec<String> = Vec::new();
    let mut leftovers: HashMap<String, Vec<PathBuf>> = HashMap::new();
    for entry in entries {
        let entry = entry.map_err(read_err(dir.path()))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        match classify_name(name) {
            Seen::Job(jid) => jids.push(jid),
            Seen::Alias(alias) => aliases.push((alias, entry.path())),
            Seen::Claim(alias) => claim_names.push(alias),
            Seen::Leftover(jid) => leftovers
                .entry(jid.as_str().to_string())
                .or_default()
                .push(entry.path()),
            Seen::Other => {}
        }
    }
    // Read in jid order, so the jobs come out sorted without moving the entries around.
    jids.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    let listed = |jid: &Jid| {
        jids.binary_search_by(|j| j.as_str().cmp(jid.as_str()))
            .is_ok()
    };

    let fd = dir_fd(dir)?;
    let mut inv = Inventory::default();
    let mut names_of: HashMap<String, Vec<String>> = HashMap::new();
    let mut alias_links: Vec<(String, PathBuf, Jid)> = Vec::new();
    for (alias, path) in aliases {
        // A regular file named jid_* is not ours to list or remove: readlink fails on it. Relative
        // to the dir's descriptor: no walk of the whole path per name.
        let target = path
            .file_name()
            .and_then(|name| nix::fcntl::readlinkat(&fd, name).ok());
        if let Some(target) = target {
            match confined_jid(dir, Path::new(&target)) {
                Some(jid) => {
                    if listed(&jid) {
                        names_of
                            .entry(jid.as_str().to_string())
                            .or_default()
                            .push(alias.clone());
                    }
                    alias_links.push((alias, path, jid));
                }
                None => inv.broken.push(path),
            }
        }
    }
    for names in names_of.values_mut() {
        names.sort();
    }
    let no_names: Vec<String> = Vec::new();
    let names = |jid: &Jid| names_of.get(jid.as_str()).unwrap_or(&no_names);
    let (to_read, skipped): (Vec<Jid>, Vec<Jid>) =
        jids.into_iter().partition(|jid| wanted(names(jid)));

    let files = read_all(dir, &fd, to_read)?;
    // One scan of /proc for every job, and only when some job may be running; done after the
    // files were read, so a job whose runner is gone by now is re-read below, never guessed.
    let may_run = files
        .iter()
        .any(|f| matches!(f.1.facts.said, Said::Running | Said::Unreadable(_)))
        || !leftovers.is_empty();
    let wrappers = if may_run {
        all_wrappers()
    } else {
        HashMap::new()
    };
    let runner = |jid: &Jid| -> Option<i32> {
        wrappers
            .get(jid.prefix())
            .and_then(|procs: &Vec<WrapperProcess>| runner_pid(procs))
    };

    // A job read is present when its file was there to read; one left unread, when it was listed.
    let present = |jid: &Jid| {
        files
            .binary_search_by(|f| f.0.as_str().cmp(jid.as_str()))
            .is_ok()
            || skipped
                .binary_search_by(|j| j.as_str().cmp(jid.as_str()))
                .is_ok()
    };
    for (alias, path, jid) in alias_links {
        if !present(&jid) {
            let modified = path
                .symlink_metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            inv.dangling.push(Dangling {
                name: alias,
                path,
                jid,
                modified,
            });
        }
    }

    inv.jobs.reserve(files.len());
    let mut again = Vec::new();
    for (jid, mut opened) in files {
        let pid = runner(&jid);
        if pid.is_none() && opened.facts.said == Said::Running {
            // It may have ended between the read and the scan: its file says so now.
            if let Some(now) =
                read_at(&fd, jid.as_str(), &mut again).map_err(read_err(dir.path()))?
            {
                opened = now;
            }
        }
        let path = dir.job_file(&jid);
        let names = names_of.remove(jid.as_str()).unwrap_or_default();
        let mut left = leftovers.remove(jid.as_str()).unwrap_or_default();
        left.sort();
        inv.jobs.push(entry(
            jid,
            path,
            names,
            opened.modified.unwrap_or(SystemTime::UNIX_EPOCH),
            opened.facts,
            pid,
            left,
            opened.unlinkable,
        ));
    }
    for jid in &skipped {
        leftovers.remove(jid.as_str());
    }
    inv.dangling.sort_by(|a, b| a.name.cmp(&b.name));
    inv.broken.sort();

    for (jid, paths) in leftovers {
        let Ok(jid) = Jid::parse(&jid) else { continue };
        let live = runner(&jid).is_some();
        for path in paths {
            let modified = path
                .symlink_metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            inv.orphans.push(Orphan {
                path,
                jid: jid.clone(),
                modified,
                live,
            });
        }
    }
    inv.orphans.sort_by(|a, b| a.path.cmp(&b.path));

    claim_names.sort();
    for name in claim_names {
        // A name that cannot be an alias was not written by us: leave it alone.
        let Ok(alias) = AliasName::parse(&name) else {
            continue;
        };
        if let Some(held) = claim::current(dir, &alias)? {
            inv.claims.push(ClaimFile {
                path: claim::claim_file(dir, &alias),
                name,
                held,
            });
        }
    }
    Ok(inv)
}

fn dir_fd(dir: &AsyncDir) -> Result<OwnedFd> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    nix::fcntl::open(dir.path(), flags, Mode::empty()).map_err(|e| read_err(dir.path())(e.into()))
}

/// Reads every job file, in the order given, on as many threads as there are CPUs (at most 4; the
/// calling thread takes the first share): about half of the work is in the kernel (open, fstat,
/// read, close per file), and on a cold cache each read waits on the disk.
fn read_all(dir: &AsyncDir, fd: &OwnedFd, jids: Vec<Jid>) -> Result<Vec<(Jid, Opened)>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, 4);
    // Below some hundreds of files a thread costs more than it saves.
    let per = jids.len().div_ceil(threads).max(512);
    let read_chunk = |chunk: &[Jid]| -> std::io::Result<Vec<Option<Opened>>> {
        let mut bytes = Vec::with_capacity(4096);
        // `None`: gone since the listing (it ended and was cleaned up meanwhile).
        chunk
            .iter()
            .map(|jid| read_at(fd, jid.as_str(), &mut bytes))
            .collect()
    };
    let mut chunks = jids.chunks(per);
    let first = chunks.next().unwrap_or(&[]);
    let results: Vec<std::io::Result<Vec<Option<Opened>>>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks.map(|c| s.spawn(move || read_chunk(c))).collect();
        let mut results = vec![read_chunk(first)];
        results.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a reader thread failed")))
        }));
        results
    });
    let mut opened = Vec::with_capacity(jids.len());
    for r in results {
        opened.extend(r.map_err(read_err(dir.path()))?);
    }
    Ok(jids
        .into_iter()
        .zip(opened)
        .filter_map(|(jid, o)| o.map(|o| (jid, o)))
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn entry(
    jid: Jid,
    path: PathBuf,
    names: Vec<String>,
    modified: SystemTime,
    facts: Facts,
    runner: Option<i32>,
    leftovers: Vec<PathBuf>,
    unlinkable: bool,
) -> Entry {
    let timed_out = facts.failed
        && facts.child_pid.is_some()
        && facts.msg.as_deref() == Some("Timeout exceeded");
    let (state, why) = match &facts.said {
        Said::Running if runner.is_some() => (JobState::Running, None),
        Said::Running => (JobState::Dead, None),
        Said::Killed => (JobState::Killed, None),
        // The wrapper's own time limit: it kills the module and writes exactly this.
        Said::Finished if timed_out => (JobState::TimedOut, facts.msg.clone()),
        Said::Finished if facts.failed => (JobState::Failed, None),
        Said::Finished => (JobState::Finished, None),
        Said::Unreadable(why) => (JobState::Corrupt, Some(why.clone())),
    };
    let ended = !matches!(state, JobState::Running | JobState::Dead);
    let (start, end, times_from) = match (facts.start, facts.end) {
        (Some(s), e) if ended || e.is_none() => (Some(s), e.filter(|_| ended), TimesFrom::Job),
        _ if ended => (None, Some(utc(modified)), TimesFrom::File),
        _ => (Some(utc(modified)), None, TimesFrom::File),
    };
    let pid = match state {
        JobState::TimedOut => facts.child_pid,
        _ => runner.map(i64::from),
    };
    Entry {
        jid,
        path,
        names,
        live: runner.is_some(),
        state,
        why,
        modified,
        start,
        end,
        times_from,
        pid,
        rc: facts.rc,
        command: facts.command,
        leftovers,
        unlinkable,
    }
}

/// `2026-12-07T10:00:00Z`: what a file time is reported as.
pub fn utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Whether a claim may go with the jobs a cleanup or a prune removes: a released claim that names
/// one of them (`gone`), or a claim no run can still hold (older than `stale`). A fresh claim is a
/// run starting a job under that name right now, and a released claim of another job lets the
/// runs that waited on it attach to that job: both stay.
pub fn claim_removable(held: &Held, gone: impl Fn(&Jid) -> bool, stale: Duration) -> bool {
    match &held.claim {
        Ok(Claim::Started(_, jid)) => gone(jid) || held.age >= stale,
        _ => held.age >= stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn utc_formats_known_times() {
        let at = |s| utc(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_796_641_445), "2026-12-07T11:04:05Z");
    }

    #[test]
    fn classifies_every_kind_of_job_and_name() {
        let d = std::env::temp_dir().join(format!("jobs-inventory-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        let w = |n: &str, t: &str| fs::write(d.join(n), t).unwrap();
        w("j1.1", include_str!("../fixtures/finished_2.19.json"));
        w("j2.2", include_str!("../fixtures/timeout_2.18.json"));
        w(
            "j3.3",
            r#"{"failed": true, "rc": 2, "cmd": ["false", "x"]}"#,
        );
        w(
            "j4.4",
            r#"{"started": 1, "finished": 0, "ansible_job_id": "j4.4"}"#,
        );
        w("j5.5", r#"{"started": 1, "finished": 1, "killed": true}"#);
        w("j6.6", "{\"started\": 1, \"fin");
        w("j6.6.kill", "");
        w("j9.9.tmp", "");
        w("notes.txt", "");
        let victim = d.with_extension("victim");
        fs::write(&victim, r#"{"rc": 0}"#).unwrap();
        std::os::unix::fs::symlink(&victim, d.join("j7.7")).unwrap();
        fs::create_dir(d.join("j8.8")).unwrap();
        std::os::unix::fs::symlink("j1.1", d.join("jid_one")).unwrap();
        std::os::unix::fs::symlink(d.join("j1.1"), d.join("jid_uno")).unwrap();
        std::os::unix::fs::symlink("j0.0", d.join("jid_gone")).unwrap();
        std::os::unix::fs::symlink(&victim, d.join("jid_evil")).unwrap();
        w(".jid_one.claim", "damaged");
        let inv = scan(&dir).unwrap();
        let by: HashMap<&str, &Entry> = inv.jobs.iter().map(|e| (e.jid.as_str(), e)).collect();
        let state = |j: &str| by[j].state;
        assert_eq!(state("j1.1"), JobState::Finished);
        assert_eq!(by["j1.1"].names, ["one", "uno"]);
        assert_eq!(by["j1.1"].times_from, TimesFrom::Job);
        assert_eq!(
            by["j1.1"].start.as_deref(),
            Some("2026-11-23 06:04:45.017876")
        );
        assert_eq!(by["j1.1"].command.as_deref(), Some("echo hi; echo err >&2"));
        assert_eq!(by["j1.1"].rc, Some(0));
        assert_eq!(state("j2.2"), JobState::TimedOut);
        assert_eq!(by["j2.2"].pid, Some(4543));
        assert_eq!(by["j2.2"].times_from, TimesFrom::File);
        assert!(by["j2.2"].end.as_deref().is_some_and(|e| e.ends_with('Z')));
        assert_eq!(state("j3.3"), JobState::Failed);
        assert_eq!(by["j3.3"].command.as_deref(), Some("false x"));
        assert_eq!(state("j4.4"), JobState::Dead);
        assert!(by["j4.4"].start.is_some() && by["j4.4"].end.is_none());
        assert_eq!(state("j5.5"), JobState::Killed);
        assert_eq!(state("j6.6"), JobState::Corrupt);
        assert_eq!(by["j6.6"].leftovers, [d.join("j6.6.kill")]);
        // A link in place of a job file is corrupt and never read; a dir is not unlinkable.
        assert_eq!(state("j7.7"), JobState::Corrupt);
        assert!(by["j7.7"].unlinkable && !by["j8.8"].unlinkable);
        assert_eq!(by["j7.7"].rc, None);
        assert_eq!(inv.dangling.len(), 1);
        assert_eq!(inv.dangling[0].name, "gone");
        assert_eq!(inv.broken, [d.join("jid_evil")]);
        assert_eq!(inv.orphans.len(), 1);
        assert_eq!(inv.orphans[0].path, d.join("j9.9.tmp"));
        assert_eq!(inv.claims.len(), 1);
        assert!(inv.claims[0].held.claim.is_err());
        fs::remove_dir_all(&d).unwrap();
        fs::remove_file(&victim).unwrap();
    }

    #[test]
    fn a_name_filter_leaves_jobs_unread_but_present() {
        let d = std::env::temp_dir().join(format!("jobs-inventory-named-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        let done = include_str!("../fixtures/finished_2.19.json");
        for jid in ["j3.3", "j1.1", "j2.2"] {
            fs::write(d.join(jid), done).unwrap();
        }
        fs::write(d.join("j2.2.kill"), "").unwrap();
        std::os::unix::fs::symlink("j1.1", d.join("jid_db")).unwrap();
        std::os::unix::fs::symlink("j2.2", d.join("jid_web")).unwrap();
        std::os::unix::fs::symlink("j9.9", d.join("jid_gone")).unwrap();
        let all = scan(&dir).unwrap();
        let jids = |inv: &Inventory| -> Vec<String> {
            inv.jobs
                .iter()
                .map(|e| e.jid.as_str().to_string())
                .collect()
        };
        assert_eq!(jids(&all), ["j1.1", "j2.2", "j3.3"]);
        let named = scan_named(&dir, |names| names.iter().any(|n| n == "db")).unwrap();
        assert_eq!(jids(&named), ["j1.1"]);
        assert_eq!(named.jobs[0].names, ["db"]);
        // j2.2 was not read, yet it is there: its name is not dangling, its leftover no orphan.
        let dangling: Vec<&str> = named.dangling.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(dangling, ["gone"]);
        assert!(named.orphans.is_empty());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_missing_dir_is_empty() {
        let inv = scan(&AsyncDir::from_path("/nonexistent/async/dir")).unwrap();
        assert!(inv.jobs.is_empty() && inv.dangling.is_empty());
    }
}
