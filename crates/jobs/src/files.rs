// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Opening and writing files in the async dir without following planted symlinks.
//!
//! Anyone who can add an entry to the async dir could put a symlink where a job file, a claim or a
//! temp file is expected. Reads refuse links and anything but regular files (a FIFO would block
//! the open); writes create their temp file exclusively, so they never write through a link.
//! `rename` and `unlink` act on the name itself, never on what a link points to.

use nix::fcntl::OFlag;
use std::fs::{File, OpenOptions};
use std::io::{Error, ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens a regular file for reading. A symlink or any other kind of file is `InvalidData`.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).bits())
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(code) if code == nix::errno::Errno::ELOOP as i32 => not_regular(path),
            _ => e,
        })?;
    if !file.metadata()?.is_file() {
        return Err(not_regular(path));
    }
    Ok(file)
}

fn not_regular(path: &Path) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "{} is a symlink or not a regular file; refusing to follow it",
            path.display()
        ),
    )
}

/// Writes `data` to `path` atomically: `tmp` created exclusively (0600), synced, renamed over
/// `path`. A stale `tmp` (a crashed run with the same pid) is unlinked first, never written
/// through.
pub fn write_atomic(path: &Path, tmp: &Path, data: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
            .open(tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(tmp, path)
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("jobs-files-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("in")).unwrap();
        fs::create_dir_all(d.join("elsewhere")).unwrap();
        d
    }

    #[test]
    fn reads_refuse_links_dirs_and_fifos() {
        let d = tmpdir("read");
        fs::write(d.join("elsewhere/secret"), "secret").unwrap();
        symlink(d.join("elsewhere/secret"), d.join("in/link")).unwrap();
        let err = open_regular(&d.join("in/link")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
        assert!(err.to_string().contains("in/link"), "{err}");
        assert_eq!(
            open_regular(&d.join("elsewhere")).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        nix::unistd::mkfifo(&d.join("in/fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert_eq!(
            open_regular(&d.join("in/fifo")).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        fs::write(d.join("in/plain"), "ok").unwrap();
        assert!(open_regular(&d.join("in/plain")).is_ok());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn writes_never_go_through_a_planted_temp_link() {
        let d = tmpdir("write");
        let victim = d.join("elsewhere/victim");
        fs::write(&victim, "keep").unwrap();
        symlink(&victim, d.join("in/x.tmp")).unwrap();
        write_atomic(&d.join("in/x"), &d.join("in/x.tmp"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_to_string(d.join("in/x")).unwrap(), "new");
        assert!(d.join("in/x.tmp").symlink_metadata().is_err());
        // A link in place of the target is replaced, not written through.
        symlink(&victim, d.join("in/y")).unwrap();
        write_atomic(&d.join("in/y"), &d.join("in/y.tmp"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!d.join("in/y").symlink_metadata().unwrap().is_symlink());
        fs::remove_dir_all(&d).unwrap();
    }
}
