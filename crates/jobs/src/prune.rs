// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_prune: removing the ended jobs of an async dir, with their names, claims and leftovers.
//!
//! The inventory is read under the dir's lock, the one async_task, async_alias and cleanup take,
//! so no name moves and no claim is taken while the plan is made and carried out. A running job
//! cannot become ended-and-old under us, and an ended job never runs again, so what the plan
//! names stays safe to remove until it is removed. Every removal unlinks a name in the dir, never
//! what a link points to.

use crate::cleanup::{remove_all, unlinkable, Removal};
use crate::dir::AsyncDir;
use crate::error::Result;
use crate::filter::{Filter, JobState};
use crate::inventory::{claim_removable, scan, Entry, Inventory};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// The states a prune removes when `state` is not given. A corrupt job file is left until it is
/// asked for by name: it cannot say whether its job ended.
pub const DEFAULT_STATES: [JobState; 5] = [
    JobState::Finished,
    JobState::Failed,
    JobState::TimedOut,
    JobState::Killed,
    JobState::Dead,
];

/// A claim not released after this long belongs to a run that died: far above the controller's
/// time to live for claims (async_task's 120 s), so a start in progress never loses its claim.
pub const STALE_CLAIM: Duration = Duration::from_secs(600);

/// A leftover with no job file younger than this may be the wrapper's first write, in flight.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(60);

/// What a prune removes (or, in check mode, would remove).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The jobs, as the inventory saw them.
    pub jobs: Vec<Entry>,
    /// The dangling names removed, by alias.
    pub dangling: Vec<String>,
    /// Every path, in the order of removal: a job's names before its file, so an interrupted
    /// prune leaves at worst a job without a name, never a name without its job.
    pub paths: Vec<PathBuf>,
}

/// Picks what goes: jobs that match `filter` in a prunable state, not live, older than
/// `filter.older_than`; the dangling names the filter selects (none when `state` is given: a name
/// has no state); claims on the names that go, or on no name, that [`claim_removable`] allows;
/// leftovers of the jobs that go, and those of no job once they are old.
pub fn plan(inv: &Inventory, filter: &Filter, now: SystemTime) -> Plan {
    let states: Vec<JobState> = filter
        .states
        .clone()
        .unwrap_or_else(|| DEFAULT_STATES.to_vec());
    let min_age = filter.older_than.unwrap_or_default();
    let mut out = Plan::default();
    let mut gone_names: HashSet<&str> = HashSet::new();
    let mut gone_jids: HashSet<&str> = HashSet::new();
    for job in &inv.jobs {
        if job.state == JobState::Running
            || job.live
            || !job.unlinkable
            || !states.contains(&job.state)
            || !filter.job(&job.names, job.state, job.age(now))
        {
            continue;
        }
        for name in &job.names {
            out.paths
                .push(job.path.with_file_name(format!("jid_{name}")));
            gone_names.insert(name);
        }
        out.paths.push(job.path.clone());
        out.paths
            .extend(job.leftovers.iter().filter(|p| unlinkable(p)).cloned());
        gone_jids.insert(job.jid.as_str());
        out.jobs.push(job.clone());
    }
    if filter.states.is_none() {
        for d in &inv.dangling {
            let age = now.duration_since(d.modified).unwrap_or_default();
            if filter.dangling(&d.name, age) {
                out.paths.push(d.path.clone());
                out.dangling.push(d.name.clone());
                gone_names.insert(&d.name);
            }
        }
    }
    // A name still standing (it names a job that stays) keeps its claim.
    let standing: HashSet<&str> = inv
        .jobs
        .iter()
        .flat_map(|j| j.names.iter().map(String::as_str))
        .chain(inv.dangling.iter().map(|d| d.name.as_str()))
        .filter(|n| !gone_names.contains(n))
        .collect();
    let job_files: HashSet<&str> = inv.jobs.iter().map(|j| j.jid.as_str()).collect();
    let stale = STALE_CLAIM.max(min_age);
    for c in &inv.claims {
        let selected = gone_names.contains(c.name.as_str())
            || (!standing.contains(c.name.as_str()) && filter.dangling(&c.name, c.held.age));
        let gone = |jid: &crate::Jid| {
            gone_jids.contains(jid.as_str()) || !job_files.contains(jid.as_str())
        };
        if selected && c.held.age >= min_age && claim_removable(&c.held, gone, stale) {
            out.paths.push(c.path.clone());
        }
    }
    let orphan_age = ORPHAN_GRACE.max(min_age);
    for o in &inv.orphans {
        if !o.live
            && now.duration_since(o.modified).unwrap_or_default() >= orphan_age
            && unlinkable(&o.path)
        {
            out.paths.push(o.path.clone());
        }
    }
    out
}

/// Plans under the dir's lock and, unless `check_mode`, removes, carrying on past a path that
/// cannot be removed. Returns the plan, narrowed to the jobs and names whose file did go, and what
/// was removed (in check mode: what would be) with what could not be.
pub fn prune(dir: &AsyncDir, filter: &Filter, check_mode: bool) -> Result<(Plan, Removal)> {
    // No lock in check mode, nor when the dir is missing: locking would create it.
    let _lock = if !check_mode && dir.path().is_dir() {
        Some(dir.lock()?)
    } else {
        None
    };
    let inv = scan(dir)?;
    let mut plan = plan(&inv, filter, SystemTime::now());
    if check_mode {
        let would = Removal {
            removed: plan.paths.clone(),
            failed: Vec::new(),
        };
        return Ok((plan, would));
    }
    let removal = remove_all(&plan.paths);
    if !removal.failed.is_empty() {
        let gone: HashSet<&PathBuf> = removal.removed.iter().collect();
        plan.jobs.retain(|j| gone.contains(&j.path));
        let dir_path = dir.path();
        plan.dangling
            .retain(|n| gone.contains(&dir_path.join(format!("jid_{n}"))));
    }
    Ok((plan, removal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claim::{claim_file, Claim};
    use crate::names::{AliasName, Jid};
    use crate::Token;
    use std::fs;
    use std::os::unix::process::CommandExt;

    fn names(paths: &[PathBuf]) -> Vec<String> {
        let mut n: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn removes_ended_jobs_with_their_names_claims_and_leftovers_never_a_running_one() {
        let d = std::env::temp_dir().join(format!("jobs-prune-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        let w = |n: &str, t: &str| fs::write(d.join(n), t).unwrap();
        let link = |t: &str, n: &str| std::os::unix::fs::symlink(t, d.join(n)).unwrap();
        w("j1.1", r#"{"rc": 0}"#);
        w("j1.1.kill", "");
        link("j1.1", "jid_done");
        w("j2.2", r#"{"failed": true, "rc": 1}"#);
        w("j3.3", r#"{"started": 1, "finished": 0}"#);
        link("j3.3", "jid_dead");
        w("j4.4", "{broken");
        link("j0.0", "jid_gone");
        // A running job: a live runner for its prefix.
        let jid = Jid::parse("j999888777600.1").unwrap();
        w(jid.as_str(), r#"{"started": 1, "finished": 0}"#);
        link(jid.as_str(), "jid_running");
        let mut runner = std::process::Command::new("sh")
            .args(["-c", "sleep 30", "/x/async_wrapper.py", jid.prefix(), "60"])
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Claims: released on the pruned job; a fresh one on a pruned name (a start in progress);
        // a released one on the running job's name.
        let t = Token::parse("aaaaaaaa01").unwrap();
        let claim = |a: &str, c: Claim| {
            fs::write(claim_file(&dir, &AliasName::parse(a).unwrap()), c.format()).unwrap()
        };
        claim(
            "done",
            Claim::Started(t.clone(), Jid::parse("j1.1").unwrap()),
        );
        claim("dead", Claim::Claimed(t.clone()));
        claim("running", Claim::Started(t.clone(), jid.clone()));
        // Outside the dir, behind links: must survive.
        let victim = d.with_extension("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, d.join("jid_evil")).unwrap();

        let all = Filter::default();
        let (would, listed) = prune(&dir, &all, true).unwrap();
        assert_eq!(would.paths, listed.removed);
        assert!(d.join("j1.1").exists(), "check mode removed something");
        let (plan, removal) = prune(&dir, &all, false).unwrap();
        assert!(removal.failed.is_empty(), "{:?}", removal.failed);
        let removed = removal.removed;
        assert_eq!(names(&removed), names(&would.paths));
        assert_eq!(
            names(&removed),
            [
                ".jid_done.claim",
                "j1.1",
                "j1.1.kill",
                "j2.2",
                "j3.3",
                "jid_dead",
                "jid_done",
                "jid_gone"
            ]
        );
        let mut jids: Vec<&str> = plan.jobs.iter().map(|j| j.jid.as_str()).collect();
        jids.sort_unstable();
        assert_eq!(jids, ["j1.1", "j2.2", "j3.3"]);
        for kept in [
            jid.as_str(),
            "jid_running",
            ".jid_running.claim",
            ".jid_dead.claim",
            "j4.4",
            "jid_evil",
        ] {
            assert!(d.join(kept).symlink_metadata().is_ok(), "{kept} went");
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        // Idempotent.
        assert!(prune(&dir, &all, false).unwrap().1.removed.is_empty());
        // A corrupt job goes only when asked for; a running one never.
        let corrupt = Filter {
            states: Some(vec![JobState::Corrupt, JobState::Running]),
            ..Filter::default()
        };
        assert_eq!(
            names(&prune(&dir, &corrupt, false).unwrap().1.removed),
            ["j4.4"]
        );
        let _ = runner.kill();
        let _ = runner.wait();
        fs::remove_dir_all(&d).unwrap();
        fs::remove_file(&victim).unwrap();
    }

    #[test]
    fn a_directory_under_a_leftover_name_is_never_planned_and_never_stops_the_prune() {
        let d = std::env::temp_dir().join(format!("jobs-prune-dir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        let old = SystemTime::now() - Duration::from_secs(7200);
        let age = |p: &std::path::Path| {
            fs::File::open(p).unwrap().set_modified(old).unwrap();
        };
        fs::write(d.join("j1.1"), r#"{"rc": 0}"#).unwrap();
        std::os::unix::fs::symlink("j1.1", d.join("jid_done")).unwrap();
        fs::create_dir(d.join("j1.1.tmp")).unwrap();
        fs::write(d.join("j1.1.kill"), "").unwrap();
        // An orphan leftover that is a dir, and one that is a file.
        fs::create_dir(d.join("j2.2.tmp")).unwrap();
        fs::write(d.join("j3.3.kill"), "").unwrap();
        for n in ["j1.1", "j1.1.tmp", "j1.1.kill", "j2.2.tmp", "j3.3.kill"] {
            age(&d.join(n));
        }
        let hour = Filter {
            older_than: Some(Duration::from_secs(3600)),
            ..Filter::default()
        };
        let expected = ["j1.1", "j1.1.kill", "j3.3.kill", "jid_done"];
        let (_, would) = prune(&dir, &hour, true).unwrap();
        assert_eq!(names(&would.removed), expected);
        let (plan, removal) = prune(&dir, &hour, false).unwrap();
        assert!(removal.failed.is_empty(), "{:?}", removal.failed);
        assert_eq!(names(&removal.removed), expected);
        assert_eq!(plan.jobs.len(), 1);
        assert!(d.join("j1.1.tmp").is_dir() && d.join("j2.2.tmp").is_dir());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn age_and_name_filters() {
        let d = std::env::temp_dir().join(format!("jobs-prune-f-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let dir = AsyncDir::from_path(&d);
        fs::write(d.join("j1.1"), r#"{"rc": 0}"#).unwrap();
        fs::write(d.join("j2.2"), r#"{"rc": 0}"#).unwrap();
        std::os::unix::fs::symlink("j1.1", d.join("jid_nightly-db")).unwrap();
        let inv = scan(&dir).unwrap();
        let now = SystemTime::now();
        let young = Filter {
            older_than: Some(Duration::from_secs(3600)),
            ..Filter::default()
        };
        assert!(plan(&inv, &young, now).paths.is_empty());
        let later = now + Duration::from_secs(7200);
        assert_eq!(plan(&inv, &young, later).jobs.len(), 2);
        let named = Filter {
            name: Some("nightly-*".into()),
            ..Filter::default()
        };
        assert_eq!(
            names(&plan(&inv, &named, now).paths),
            ["j1.1", "jid_nightly-db"]
        );
        let unnamed = Filter {
            name: Some(String::new()),
            ..Filter::default()
        };
        assert_eq!(names(&plan(&inv, &unnamed, now).paths), ["j2.2"]);
        fs::remove_dir_all(&d).unwrap();
    }
}
