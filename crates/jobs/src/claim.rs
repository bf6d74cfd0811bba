// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Start claims: how concurrent runs of one `async_task` agree that exactly one of them starts the
//! job behind a name.
//!
//! Starting a job takes several round trips from the controller (claim, start through the async
//! wrapper, name it), so no lock can be held across them. Instead a run leaves a claim file,
//! `.jid_<alias>.claim`, holding its token. Every decision about a name is made under an exclusive
//! flock on the async dir, and a run that finds a fresh claim of another run waits for the name to
//! appear. A claim older than its time to live is from a run that died and may be taken over.
//!
//! Releasing a claim after a start leaves the token and the jid in the file: a run that waited on that
//! token then attaches to that job even if it has already finished and been cleaned up, instead
//! of starting the command a second time. Such a marker blocks nobody.

use crate::dir::AsyncDir;
use crate::error::{read_err, write_err, JobError, Result};
use crate::names::{AliasName, Jid};
use safe_fs::{open_regular, sync_dir, write_atomic, TempName};
use std::io::{ErrorKind, Read};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub fn claim_file(dir: &AsyncDir, alias: &AliasName) -> PathBuf {
    dir.path().join(format!(".{}.claim", alias.file_name()))
}

/// A run's claim token: lowercase hex, so it can never split, merge or escape a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

/// The shortest token [`Token::parse`] accepts.
pub const MIN_TOKEN_LEN: usize = 8;
/// The longest token [`Token::parse`] accepts.
pub const MAX_TOKEN_LEN: usize = 64;

impl Token {
    /// Strict on purpose: a fuzz entry point, and the only way a token gets into a claim file.
    pub fn parse(s: &str) -> Result<Token> {
        if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&s.len()) {
            return Err(JobError::BadToken("it must be 8 to 64 characters long"));
        }
        if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(JobError::BadToken("it must be lowercase hexadecimal"));
        }
        Ok(Token(s.to_string()))
    }
    /// The token as written in a claim file.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a claim file says.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The run with this token is starting the job.
    Claimed(Token),
    /// Released: the run with this token started this job.
    Started(Token, Jid),
}

const HEADER: &str = "rstyczynski.ansible async_task claim v1";
/// Far above any well-formed claim; a bigger file is damage and is not read whole.
const MAX_CLAIM_BYTES: usize = 512;

impl Claim {
    /// The token of the run that made the claim, started or not.
    pub fn token(&self) -> &Token {
        match self {
            Claim::Claimed(t) | Claim::Started(t, _) => t,
        }
    }

    /// The file format: a header line, then `token <hex>`, then `started <jid>` once released.
    pub fn format(&self) -> String {
        match self {
            Claim::Claimed(t) => format!("{HEADER}\ntoken {}\n", t.as_str()),
            Claim::Started(t, jid) => {
                format!("{HEADER}\ntoken {}\nstarted {}\n", t.as_str(), jid.as_str())
            }
        }
    }

    /// Parses exactly what `format` writes; anything else is a damaged claim. Never panics: a
    /// fuzz entry point.
    pub fn parse(text: &str) -> std::result::Result<Claim, &'static str> {
        let body = text
            .strip_suffix('\n')
            .ok_or("it does not end with a newline")?;
        let mut lines = body.split('\n');
        if lines.next() != Some(HEADER) {
            return Err("its first line is not the v1 claim header");
        }
        let token = lines
            .next()
            .and_then(|l| l.strip_prefix("token "))
            .ok_or("it has no token line")?;
        let token =
            Token::parse(token).map_err(|_| "its token is not 8 to 64 lowercase hex digits")?;
        let claim = match lines.next() {
            None => Claim::Claimed(token),
            Some(line) => {
                let jid = line
                    .strip_prefix("started ")
                    .ok_or("its third line is not a started line")?;
                Claim::Started(
                    token,
                    Jid::parse(jid).map_err(|_| "its jid is not a job id")?,
                )
            }
        };
        if lines.next().is_some() {
            return Err("it has extra lines");
        }
        Ok(claim)
    }
}

/// The claim file on a name, as found.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// `Err(why)` when the file is damaged, foreign or of an older format.
    pub claim: std::result::Result<Claim, &'static str>,
    /// Time since the claim file was last written (zero if the clock stepped backwards).
    pub age: Duration,
}

impl Held {
    /// Whether this keeps `token` from starting the job now. A damaged claim blocks like a fresh
    /// one of an unknown run until its time to live is over: it cannot be proven abandoned sooner.
    pub fn blocks(&self, token: &Token, ttl: Duration) -> bool {
        match &self.claim {
            Ok(Claim::Claimed(t)) => t != token && self.age < ttl,
            Ok(Claim::Started(..)) => false,
            Err(_) => self.age < ttl,
        }
    }
    /// The job a released claim of `token` started.
    pub fn started_by(&self, token: &Token) -> Option<&Jid> {
        match &self.claim {
            Ok(Claim::Started(t, jid)) if t == token => Some(jid),
            _ => None,
        }
    }
    fn claimed_by(&self, token: &Token) -> bool {
        matches!(&self.claim, Ok(Claim::Claimed(t)) if t == token)
    }
}

/// The claim on `alias`, if any. Only reads: safe without the lock and in check mode
/// (async_job_info, a check-mode prune or start). A future mtime counts as now (see [`age_of`]).
pub fn current(dir: &AsyncDir, alias: &AliasName) -> Result<Option<Held>> {
    look(dir, alias, Look::ReadOnly)
}

/// Whether a look at a claim may write the claim file's mtime.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    ReadOnly,
    /// The caller holds the dir's lock and is not in check mode.
    RefreshFuture,
}

fn look(dir: &AsyncDir, alias: &AliasName, how: Look) -> Result<Option<Held>> {
    let path = claim_file(dir, alias);
    let (claim, modified) = match open_regular(&path) {
        Ok(mut f) => {
            let meta = f.metadata().map_err(read_err(&path))?;
            // One byte more than a claim may hold tells a damaged, oversized file.
            let mut buf = [0u8; MAX_CLAIM_BYTES + 1];
            let mut len = 0;
            while len < buf.len() {
                match f.read(&mut buf[len..]).map_err(read_err(&path))? {
                    0 => break,
                    n => len += n,
                }
            }
            let claim = match std::str::from_utf8(&buf[..len]) {
                _ if len > MAX_CLAIM_BYTES => Err("it is too big"),
                Ok(text) => Claim::parse(text),
                Err(_) => Err("it is not UTF-8"),
            };
            (claim, meta.modified().map_err(read_err(&path))?)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == ErrorKind::InvalidData => {
            let meta = std::fs::symlink_metadata(&path).map_err(read_err(&path))?;
            (
                Err("it is a symlink or not a regular file"),
                meta.modified().map_err(read_err(&path))?,
            )
        }
        Err(e) => return Err(read_err(&path)(e)),
    };
    let age = age_of(modified);
    if age.is_none() && how == Look::RefreshFuture {
        restart_clock(&path);
    }
    Ok(Some(Held {
        claim,
        age: age.unwrap_or_default(),
    }))
}

/// A claim's age, or `None` when its mtime is in the future. After a clock step backwards its
/// mtime is in the future, and measured against that mtime it would block for the step plus its
/// time to live (hours, for a step of hours). So a future mtime counts as now everywhere; and
/// [`take`], which holds the lock and is the one place a claim blocks a start, sets it to now
/// ([`restart_clock`]) so the claim ages from then on and blocks one time to live at most. A
/// reader without the lock never writes: async_job_info is read-only, and check mode changes
/// nothing.
fn age_of(modified: SystemTime) -> Option<Duration> {
    SystemTime::now().duration_since(modified).ok()
}

/// Sets a claim file's mtime to now. Best effort: when it cannot be set (a file not ours) the claim
/// still counts as made now on every look, and its time to live starts once the clock passes the
/// mtime. The link itself when it is a planted symlink.
fn restart_clock(path: &std::path::Path) {
    let now = nix::sys::time::TimeSpec::from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    let _ = nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &now,
        &now,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    );
}

/// Why a claim could not be taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// Another run claimed the name and is starting its job.
    Busy(Held),
}

/// Takes the claim for `token` unless another run holds a fresh one. Call with the lock held.
pub fn take(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &Token,
    ttl: Duration,
) -> Result<std::result::Result<(), Refused>> {
    if let Some(held) = look(dir, alias, Look::RefreshFuture)? {
        if held.blocks(token, ttl) {
            return Ok(Err(Refused::Busy(held)));
        }
    }
    write_claim(dir, alias, &Claim::Claimed(token.clone()))?;
    Ok(Ok(()))
}

fn write_claim(dir: &AsyncDir, alias: &AliasName, claim: &Claim) -> Result<()> {
    let path = claim_file(dir, alias);
    let tmp = format!(".{}.claim.{}.tmp", alias.file_name(), std::process::id());
    write_atomic(&path, TempName::Fixed(&tmp), claim.format().as_bytes()).map_err(write_err(&path))
}

/// Whether `token` holds the claim on `alias` now. Call with the lock held.
pub fn holds(dir: &AsyncDir, alias: &AliasName, token: &Token) -> Result<bool> {
    Ok(current(dir, alias)?.is_some_and(|h| h.claimed_by(token)))
}

/// Ends `token`'s claim: leaves the started job's marker, or removes the claim when nothing was
/// started. Says whether `token` still held the claim. Call with the lock held.
pub fn release(
    dir: &AsyncDir,
    alias: &AliasName,
    token: &Token,
    started: Option<&Jid>,
) -> Result<bool> {
    if !holds(dir, alias, token)? {
        return Ok(false);
    }
    if let Some(jid) = started {
        write_claim(dir, alias, &Claim::Started(token.clone(), jid.clone()))?;
        return Ok(true);
    }
    let path = claim_file(dir, alias);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(write_err(&path)(e)),
    }
    sync_dir(dir.path());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> AsyncDir {
        let d = std::env::temp_dir().join(format!("jobs-claim-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        AsyncDir::from_path(d)
    }

    fn t(s: &str) -> Token {
        Token::parse(s).unwrap()
    }

    #[test]
    fn one_claim_at_a_time_until_dropped() {
        let d = dir("one");
        let a = AliasName::parse("nightly").unwrap();
        let _l = d.lock().unwrap();
        let ttl = Duration::from_secs(60);
        let (t1, t2) = (t("aaaaaaaa01"), t("bbbbbbbb02"));
        assert_eq!(take(&d, &a, &t1, ttl).unwrap(), Ok(()));
        match take(&d, &a, &t2, ttl).unwrap() {
            Err(Refused::Busy(h)) => assert_eq!(h.claim, Ok(Claim::Claimed(t1.clone()))),
            other => panic!("second claim was {other:?}"),
        }
        // The holder may renew its own claim.
        assert_eq!(take(&d, &a, &t1, ttl).unwrap(), Ok(()));
        assert!(!release(&d, &a, &t2, None).unwrap());
        assert!(release(&d, &a, &t1, None).unwrap());
        assert_eq!(current(&d, &a).unwrap(), None);
        assert_eq!(take(&d, &a, &t2, ttl).unwrap(), Ok(()));
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_stale_claim_is_taken_over() {
        let d = dir("stale");
        let a = AliasName::parse("nightly").unwrap();
        let _l = d.lock().unwrap();
        let (dead, t2) = (t("dead0000"), t("bbbbbbbb02"));
        assert_eq!(take(&d, &a, &dead, Duration::ZERO).unwrap(), Ok(()));
        assert_eq!(take(&d, &a, &t2, Duration::ZERO).unwrap(), Ok(()));
        assert!(holds(&d, &a, &t2).unwrap());
        // The dead run cannot drop what is no longer its claim.
        assert!(!release(&d, &a, &dead, None).unwrap());
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_release_leaves_the_started_job_for_waiters_and_blocks_nobody() {
        let d = dir("marker");
        let a = AliasName::parse("nightly").unwrap();
        let _l = d.lock().unwrap();
        let ttl = Duration::from_secs(60);
        let (t1, t2) = (t("aaaaaaaa01"), t("bbbbbbbb02"));
        let jid = Jid::parse("j1.2").unwrap();
        assert_eq!(take(&d, &a, &t1, ttl).unwrap(), Ok(()));
        assert!(release(&d, &a, &t1, Some(&jid)).unwrap());
        let held = current(&d, &a).unwrap().unwrap();
        assert_eq!(held.started_by(&t1), Some(&jid));
        assert_eq!(held.started_by(&t2), None);
        assert!(!held.blocks(&t2, ttl));
        // Released once: a second release is not this run's any more.
        assert!(!release(&d, &a, &t1, Some(&jid)).unwrap());
        assert_eq!(take(&d, &a, &t2, ttl).unwrap(), Ok(()));
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_claim_from_the_future_blocks_one_ttl_from_now_not_until_then() {
        let d = dir("future");
        let a = AliasName::parse("nightly").unwrap();
        let _l = d.lock().unwrap();
        let (them, me) = (t("aaaaaaaa01"), t("bbbbbbbb02"));
        assert_eq!(take(&d, &a, &them, Duration::ZERO).unwrap(), Ok(()));
        // The clock stepped back a day after the claim was written.
        let day_ahead = SystemTime::now() + Duration::from_secs(86_400);
        std::fs::File::options()
            .write(true)
            .open(claim_file(&d, &a))
            .unwrap()
            .set_modified(day_ahead)
            .unwrap();
        let ttl = Duration::from_millis(300);
        // Fresh for now: the claim counts as made now.
        assert!(matches!(
            take(&d, &a, &me, ttl).unwrap(),
            Err(Refused::Busy(_))
        ));
        std::thread::sleep(Duration::from_millis(400));
        // One time to live later it is stale, a day before its mtime.
        assert_eq!(take(&d, &a, &me, ttl).unwrap(), Ok(()));
        assert!(holds(&d, &a, &me).unwrap());
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_reader_without_the_lock_never_writes_a_future_mtime() {
        let d = dir("future-ro");
        let a = AliasName::parse("nightly").unwrap();
        {
            let _l = d.lock().unwrap();
            assert_eq!(
                take(&d, &a, &t("aaaaaaaa01"), Duration::ZERO).unwrap(),
                Ok(())
            );
        }
        let path = claim_file(&d, &a);
        let day_ahead = SystemTime::now() + Duration::from_secs(86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(day_ahead)
            .unwrap();
        let mtime = || path.metadata().unwrap().modified().unwrap();
        // What async_job_info and a check-mode prune or start do: no lock, read only.
        let inv = crate::inventory::scan(&d).unwrap();
        assert_eq!(inv.claims.len(), 1);
        assert_eq!(
            inv.claims[0].held.age,
            Duration::ZERO,
            "a future mtime is now"
        );
        assert_eq!(current(&d, &a).unwrap().unwrap().age, Duration::ZERO);
        assert_eq!(mtime(), day_ahead, "a read-only look wrote the claim file");
        // The locked take restarts its clock, which bounds the block to one time to live.
        let _l = d.lock().unwrap();
        assert!(matches!(
            take(&d, &a, &t("bbbbbbbb02"), Duration::from_secs(60)).unwrap(),
            Err(Refused::Busy(_))
        ));
        assert!(mtime() <= SystemTime::now(), "take left the future mtime");
        std::fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn tokens_are_strict_lowercase_hex() {
        for ok in ["0123abcd", "deadbeefdeadbeef", &"f".repeat(64)] {
            assert!(Token::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "abc",
            "aaaa aaaa",
            "aaaaaaaa ",
            " aaaaaaaa",
            "aaaaaaaa\tb",
            "aaaaaaaa\nb",
            "AAAAAAAA",
            "aaaaaaag",
            "aaaa/aaaa",
            "ééééééééé",
            &"f".repeat(65),
        ] {
            assert!(Token::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn claim_files_parse_exactly_what_is_written() {
        let c = Claim::Claimed(t("abcdef01"));
        assert_eq!(Claim::parse(&c.format()), Ok(c));
        let s = Claim::Started(t("abcdef01"), Jid::parse("j12.34").unwrap());
        assert_eq!(Claim::parse(&s.format()), Ok(s));
        let good = Claim::Claimed(t("abcdef01")).format();
        for bad in [
            String::new(),
            // The old format, and the two-start trick it allowed: a token with a space in it.
            "abcdef01".into(),
            "abcdef01 j1.2".into(),
            good.trim_end().to_string(),
            good.replace("token ", "token  "),
            format!("{good}started j1.2\nextra\n"),
            format!("{good}started ../j1.2\n"),
            format!("{good}\n"),
            good.replace("v1", "v2"),
        ] {
            assert!(Claim::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn damaged_and_planted_claims_block_until_stale_and_are_never_followed() {
        let d = dir("damaged");
        let a = AliasName::parse("nightly").unwrap();
        let _l = d.lock().unwrap();
        let ttl = Duration::from_secs(60);
        let me = t("cccccccc03");
        let path = claim_file(&d, &a);
        // An old-format claim: damaged, blocks a fresh start, never counts as ours or started.
        std::fs::write(&path, "cccccccc03 j1.2").unwrap();
        let held = current(&d, &a).unwrap().unwrap();
        assert!(held.claim.is_err());
        assert!(held.blocks(&me, ttl));
        assert_eq!(held.started_by(&me), None);
        assert!(matches!(
            take(&d, &a, &me, ttl).unwrap(),
            Err(Refused::Busy(_))
        ));
        assert!(!release(&d, &a, &me, None).unwrap());
        assert!(path.exists());
        // Once stale it is replaced.
        assert_eq!(take(&d, &a, &me, Duration::ZERO).unwrap(), Ok(()));
        assert!(holds(&d, &a, &me).unwrap());
        // A planted symlink is not read through, and writing replaces the link, not its target.
        let victim = d.path().with_extension("victim");
        std::fs::write(&victim, Claim::Claimed(me.clone()).format()).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let held = current(&d, &a).unwrap().unwrap();
        assert!(held.claim.is_err(), "{held:?}");
        assert!(!holds(&d, &a, &me).unwrap());
        let tmp = path.with_extension(format!("claim.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        let other = t("dddddddd04");
        assert_eq!(take(&d, &a, &other, Duration::ZERO).unwrap(), Ok(()));
        assert!(holds(&d, &a, &other).unwrap());
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            Claim::Claimed(me.clone()).format()
        );
        assert!(!path.symlink_metadata().unwrap().is_symlink());
        // An oversized file is damage, not read whole.
        std::fs::write(&path, "x".repeat(10_000)).unwrap();
        assert!(current(&d, &a).unwrap().unwrap().claim.is_err());
        std::fs::remove_dir_all(d.path()).unwrap();
        std::fs::remove_file(&victim).unwrap();
    }
}
