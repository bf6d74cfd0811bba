// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The bearer token `serve` requires: from `--token-file`, or `<data-dir>/token`, generated at
//! the first start. Any local user reaches 127.0.0.1, so loopback is no reason to go without
//! one; `--no-token` is the operator's explicit choice, on loopback only.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::CommandError;

/// The file name of the generated token in the data dir.
pub const FILE_NAME: &str = "token";

/// The token clients must send, and where it came from (printed, never the token itself).
pub struct Token {
    pub secret: Vec<u8>,
    pub path: PathBuf,
}

/// `--token-file`, else `<data-dir>/token` (created at the first start), else nothing when
/// `no_token` (which `serve` allows on loopback only).
pub fn resolve(
    token_file: Option<&Path>,
    no_token: bool,
    data_dir: &Path,
) -> Result<Option<Token>, CommandError> {
    if no_token {
        tracing::warn!(
            "--no-token: every local user can run playbooks as this user through the API; \
             drop --no-token to require the token in <data-dir>/token"
        );
        return Ok(None);
    }
    if let Some(path) = token_file {
        let secret = read(path, "--token-file")?;
        return Ok(Some(Token {
            secret,
            path: path.to_path_buf(),
        }));
    }
    // Whoever owns the data dir could have put a token of theirs there before the first start.
    let flag = "--data-dir";
    let meta = std::fs::metadata(data_dir)
        .map_err(|e| CommandError::Usage(format!("{flag} {}: {e}", data_dir.display())))?;
    if meta.uid() != nix::unistd::geteuid().as_raw() {
        return Err(CommandError::Usage(format!(
            "{flag} {}: owned by uid {}, not by this user ({}); another user could know the token in it: give a directory of this user's",
            data_dir.display(),
            meta.uid(),
            nix::unistd::geteuid()
        )));
    }
    // Others who may write in it could plant their own token, or the temporary file, or swap
    // either between our checks.
    let mode = meta.mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(CommandError::Usage(format!(
            "{flag} {}: mode {mode:o}, writable by group or others, who could plant a token of theirs: run chmod go-w on it",
            data_dir.display()
        )));
    }
    let path = data_dir.join(FILE_NAME);
    if !path.exists() {
        create(&path)?;
    }
    let secret = read(&path, "the generated token file")?;
    Ok(Some(Token { secret, path }))
}

/// Writes a new random token so that no reader ever sees a partial file or a mode wider than
/// 0600 (`safe_fs::write_new`: a temporary file created 0600, fsynced, hard-linked to the name,
/// the directory fsynced); when another process sharing the data dir (API processes on a shared
/// store do) got there first, its token wins.
fn create(path: &Path) -> Result<(), CommandError> {
    let fail = |e: std::io::Error| {
        CommandError::Runtime(format!(
            "cannot write the token file {}: {e}",
            path.display()
        ))
    };
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| {
        CommandError::Runtime(format!("cannot read random bytes for the token: {e}"))
    })?;
    let text: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    // First writer wins: API processes sharing a data dir (on a shared store) may start at once,
    // and all of them must end up with the one token on disk.
    if safe_fs::write_new(path, format!("{text}\n").as_bytes()).map_err(fail)? {
        tracing::info!(file = %path.display(), "generated the API token");
    }
    Ok(())
}

/// Opens a secret file without waiting on it: `O_NONBLOCK` so that a FIFO (or a device) put in
/// its place cannot hold the start forever, then refuses anything but a regular file, checked on
/// the open descriptor so that nothing can be swapped in between. `nofollow` refuses a symlink.
pub fn open_regular(path: &Path, nofollow: bool) -> std::io::Result<File> {
    use nix::fcntl::OFlag;
    let mut flags = OFlag::O_NONBLOCK;
    if nofollow {
        flags |= OFlag::O_NOFOLLOW;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, device or directory); write the secret to a plain file",
        ));
    }
    Ok(f)
}

/// A token file must be this user's (or root's) and readable by nobody else: a file another
/// user can read or could have written gives them the service.
pub fn read(path: &Path, what: &str) -> Result<Vec<u8>, CommandError> {
    let bad = |why: String| CommandError::Usage(format!("{what} {}: {why}", path.display()));
    let s = read_secret_file(path, what)?;
    let token = s.trim();
    if token.len() < 16 || token.contains(char::is_whitespace) {
        return Err(bad(
            "the token must be one word of at least 16 characters".into()
        ));
    }
    // A header value can carry only visible ASCII reliably; any other token could never be sent.
    if !token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(bad(
            "the token must be visible ASCII (letters, digits, punctuation); write a new one, e.g. openssl rand -hex 32".into(),
        ));
    }
    Ok(token.as_bytes().to_vec())
}

/// The text of a file of secrets, after the checks of [`read`]: this user's or root's, a regular
/// file (not through a symlink), readable by nobody else. At most 1 MiB: a file of tokens, not a
/// log someone pointed the flag at.
pub fn read_secret_file(path: &Path, what: &str) -> Result<String, CommandError> {
    const MAX: u64 = 1 << 20;
    let bad = |why: String| CommandError::Usage(format!("{what} {}: {why}", path.display()));
    let f = open_regular(path, true).map_err(|e| bad(e.to_string()))?;
    check_file(&f, &bad)?;
    let mut s = String::new();
    f.take(MAX + 1)
        .read_to_string(&mut s)
        .map_err(|e| bad(e.to_string()))?;
    if s.len() as u64 > MAX {
        return Err(bad(format!("over {MAX} bytes: not a token file")));
    }
    Ok(s)
}

fn check_file(f: &File, bad: &dyn Fn(String) -> CommandError) -> Result<(), CommandError> {
    let meta = f.metadata().map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("not a regular file".into()));
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(bad(format!(
            "owned by uid {}, not by this user ({me}) or root; another user could know the token: chown it, or write a new one",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(bad(format!(
            "mode {mode:o}: readable or writable by group or others, who could use the token; run chmod 600 on it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn first_start_writes_a_0600_token_and_the_next_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(None, false, dir.path()).unwrap().unwrap();
        let meta = std::fs::metadata(&first.path).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert_eq!(first.secret.len(), 64);
        let again = resolve(None, false, dir.path()).unwrap().unwrap();
        assert_eq!(first.secret, again.secret);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn twenty_first_starts_at_once_agree_on_one_token() {
        // API processes on Redis may share a data dir and start together: whoever links first
        // wins, and every other one reads that token, never a partial file or its own.
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let gate = std::sync::Arc::new(std::sync::Barrier::new(20));
            let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..20)
                    .map(|_| {
                        let gate = gate.clone();
                        let dir = dir.path();
                        s.spawn(move || {
                            gate.wait();
                            resolve(None, false, dir).unwrap().unwrap().secret
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(secrets.iter().all(|s| s == &secrets[0] && s.len() == 64));
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, [FILE_NAME], "temporary files left: {names:?}");
        }
    }

    #[test]
    fn a_token_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "0123456789abcdef0123\n").unwrap();
        for mode in [0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            match resolve(Some(&path), false, dir.path()) {
                Err(CommandError::Usage(m)) => assert!(m.contains("chmod 600"), "{m}"),
                _ => panic!("mode {mode:o} accepted"),
            }
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let t = resolve(Some(&path), false, dir.path()).unwrap().unwrap();
        assert_eq!(t.secret, b"0123456789abcdef0123");
    }

    #[test]
    fn non_ascii_tokens_fifos_and_writable_data_dirs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "0123456789abcdef\u{e9}0123\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        match resolve(Some(&path), false, dir.path()) {
            Err(CommandError::Usage(m)) => assert!(m.contains("visible ASCII"), "{m}"),
            _ => panic!("a non-ASCII token accepted"),
        }
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        match resolve(Some(&fifo), false, dir.path()) {
            Err(CommandError::Usage(m)) => assert!(m.contains("not a regular file"), "{m}"),
            _ => panic!("a FIFO accepted"),
        }
        let open = tempfile::tempdir().unwrap();
        std::fs::set_permissions(open.path(), std::fs::Permissions::from_mode(0o770)).unwrap();
        match resolve(None, false, open.path()) {
            Err(CommandError::Usage(m)) => assert!(m.contains("chmod go-w"), "{m}"),
            _ => panic!("a group-writable data dir accepted"),
        }
        assert!(!open.path().join(FILE_NAME).exists());
    }

    #[test]
    fn no_token_means_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(resolve(None, true, dir.path()).unwrap().is_none());
        assert!(!dir.path().join(FILE_NAME).exists());
    }
}
