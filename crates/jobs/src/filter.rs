// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What async_job_info lists and async_prune removes: a name glob, a set of states, an age.
//!
//! The glob and the duration are parsed here rather than by a crate: each is some thirty lines,
//! and every byte of these binaries is copied to every managed host.

use std::time::Duration;

/// The states an inventory tells apart, in the order the docs list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Not ended, and its wrapper's runner is alive.
    Running,
    /// Ended with a result that is not a failure.
    Finished,
    /// Ended with `failed` set by its module (or its module's output was not JSON).
    Failed,
    /// Stopped by the wrapper's own time limit (`async:` seconds): `Timeout exceeded`.
    TimedOut,
    /// Stopped by async_kill.
    Killed,
    /// Not ended, and no wrapper process is left to end it (`pid_missing`).
    Dead,
    /// The job file cannot be read as a job (damaged, or not a regular file).
    Corrupt,
}

impl JobState {
    /// Every state, as the `state` option's choices.
    pub const ALL: [JobState; 7] = [
        JobState::Running,
        JobState::Finished,
        JobState::Failed,
        JobState::TimedOut,
        JobState::Killed,
        JobState::Dead,
        JobState::Corrupt,
    ];

    /// The state's name in options and results.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Finished => "finished",
            JobState::Failed => "failed",
            JobState::TimedOut => "timed_out",
            JobState::Killed => "killed",
            JobState::Dead => "dead",
            JobState::Corrupt => "corrupt",
        }
    }

    /// The state of that name.
    pub fn parse(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadFilter {
    /// `older_than` is not a duration.
    #[error(
        "older_than {0:?} is not a duration: give seconds (3600) or a number with a unit, \
         s, m, h, d or w (30m, 2h, 7d, 1h30m)"
    )]
    Duration(String),
    /// A `state` that is not one of the states.
    #[error(
        "state {0:?} is not one of running, finished, failed, timed_out, killed, dead, corrupt"
    )]
    State(String),
}

/// Parses `3600`, `90s`, `30m`, `2h`, `7d`, `1w` and sums like `1h30m`. No sign, no fraction.
pub fn parse_duration(text: &str) -> Result<Duration, BadFilter> {
    let bad = || BadFilter::Duration(text.to_string());
    let t = text.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// Python's `fnmatch` (which `ansible.builtin.find` patterns use): `*`, `?`, `[abc]`, `[a-z]`,
/// `[!abc]`; everything else matches itself, case-sensitively.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative with one backtrack point: the last `*` seen, so the cost stays O(p * t).
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        // An unclosed `[` matches itself, as in fnmatch.
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// A `[...]` class at `p[start]`: whether `c` is in it, and where the pattern goes on. `None` when
/// the class is not closed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while let Some(&x) = p.get(i) {
        if x == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            let end = p[i + 2];
            matched |= x <= c && c <= end;
            i += 3;
        } else {
            matched |= x == c;
            i += 1;
        }
    }
    None
}

/// Which jobs and names an inventory or a prune looks at. Empty: everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A glob on the names: a job matches when one of its names does. `*` matches every job,
    /// named or not; the empty string matches only jobs with no name.
    pub name: Option<String>,
    /// Only jobs in one of these states.
    pub states: Option<Vec<JobState>>,
    /// Only jobs (and names) whose file was last written at least this long ago.
    pub older_than: Option<Duration>,
}

impl Filter {
    /// Whether a job with these names, this state and this age is selected.
    pub fn job(&self, names: &[String], state: JobState, age: Duration) -> bool {
        self.names(names)
            && self.states.as_ref().is_none_or(|s| s.contains(&state))
            && self.older_than.is_none_or(|min| age >= min)
    }

    /// Whether a job with these names passes the name glob: known from the dir's listing, before
    /// its file is read.
    pub fn names(&self, names: &[String]) -> bool {
        match self.name.as_deref() {
            None | Some("*") => true,
            Some("") => names.is_empty(),
            Some(glob) => names.iter().any(|n| glob_match(glob, n)),
        }
    }

    /// Whether a name with no job behind it, of this age, is selected: by the glob and the age
    /// only, since it has no state.
    pub fn dangling(&self, name: &str, age: Duration) -> bool {
        let name_ok = match self.name.as_deref() {
            None | Some("*") => true,
            Some("") => false,
            Some(glob) => glob_match(glob, name),
        };
        name_ok && self.older_than.is_none_or(|min| age >= min)
    }

    /// Parses the `state` option's values.
    pub fn states(values: &[String]) -> Result<Vec<JobState>, BadFilter> {
        values
            .iter()
            .map(|v| JobState::parse(v).ok_or_else(|| BadFilter::State(v.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, secs) in [
            ("0", 0),
            ("3600", 3600),
            ("90s", 90),
            ("30m", 1800),
            ("2h", 7200),
            ("7d", 604_800),
            ("1w", 604_800),
            ("1h30m", 5400),
            (" 5m ", 300),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in [
            "",
            "-1",
            "1.5h",
            "h",
            "2x",
            "1h30",
            "99999999999999999999",
            "2 h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        let max = format!("{}w", u64::MAX / 2);
        assert!(parse_duration(&max).is_err());
    }

    #[test]
    fn globs_like_fnmatch() {
        for (p, t) in [
            ("*", ""),
            ("*", "backup"),
            ("back*", "backup"),
            ("*up", "backup"),
            ("b?ckup", "backup"),
            ("b[a-c]ckup", "backup"),
            ("b[!x]ckup", "backup"),
            ("a*b*c", "axxbyyc"),
            ("[]]", "]"),
            ("a[", "a["),
            ("nightly-*-db", "nightly-2026-db"),
        ] {
            assert!(glob_match(p, t), "{p} {t}");
        }
        for (p, t) in [
            ("back*", "xbackup"),
            ("b?ckup", "bckup"),
            ("b[!a]ckup", "backup"),
            ("a*b*c", "axxbyy"),
            ("Backup", "backup"),
            ("", "x"),
        ] {
            assert!(!glob_match(p, t), "{p} {t}");
        }
    }

    #[test]
    fn name_rules_for_unnamed_jobs_and_dangling_names() {
        let f = |name: Option<&str>| Filter {
            name: name.map(str::to_string),
            ..Filter::default()
        };
        let zero = Duration::ZERO;
        let named = vec!["db".to_string()];
        assert!(f(None).job(&[], JobState::Finished, zero));
        assert!(f(Some("*")).job(&[], JobState::Finished, zero));
        assert!(f(Some("")).job(&[], JobState::Finished, zero));
        assert!(!f(Some("")).job(&named, JobState::Finished, zero));
        assert!(!f(Some("d*")).job(&[], JobState::Finished, zero));
        assert!(f(Some("d*")).job(&named, JobState::Finished, zero));
        assert!(!f(Some("")).dangling("db", zero));
        let old = Filter {
            older_than: Some(Duration::from_secs(60)),
            states: Some(vec![JobState::Failed]),
            ..Filter::default()
        };
        assert!(!old.job(&[], JobState::Failed, Duration::from_secs(59)));
        assert!(old.job(&[], JobState::Failed, Duration::from_secs(60)));
        assert!(!old.job(&[], JobState::Finished, Duration::from_secs(60)));
        assert!(Filter::states(&["dead".into(), "nope".into()]).is_err());
    }
}
