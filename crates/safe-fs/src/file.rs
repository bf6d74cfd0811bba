// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Reading without following planted links, and writing atomically.
//!
//! Anyone who can add an entry to the directory could put a symlink where a file or a temp file
//! is expected. Reads refuse links and anything but regular files (a FIFO would block the open);
//! writes create their temp file exclusively, so they never write through a link. `rename` and
//! `unlink` act on the name itself, never on what a link points to.

use nix::errno::Errno;
use nix::fcntl::AtFlags;
use nix::fcntl::{openat, renameat, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{fsync, linkat, unlinkat, UnlinkatFlags};
use std::fs::{File, OpenOptions};
use std::io::{Error, ErrorKind, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens a regular file for reading. A symlink or any other kind of file is `InvalidData`.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC).bits())
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(code) if code == Errno::ELOOP as i32 => not_regular(path),
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

/// The temp file a write goes through, in the same directory as the file it replaces.
#[derive(Clone, Copy, Debug)]
pub enum TempName<'a> {
    /// A name the caller owns: a stale one (a crashed run) is unlinked first, never written
    /// through. Use it where the name must be found again, as cleanup does with `<jid>.kill`.
    Fixed(&'a str),
    /// `.<name>.<random>.tmp`: nobody can guess it ahead of us, so nobody can plant anything at it.
    Random,
}

/// Writes `data` to `path` atomically: the temp file (0600) is created exclusively, written,
/// fsynced and renamed over `path`, then the directory is fsynced. A crash leaves the old file or
/// the new one, never a torn one. The directory itself is followed as given.
pub fn write_atomic(path: &Path, tmp: TempName<'_>, data: &[u8]) -> std::io::Result<()> {
    let (dir, name) = split(path)?;
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_DIRECTORY | OFlag::O_CLOEXEC).bits())
        .open(dir)?;
    write_atomic_at(&dir, name, tmp, data)
}

fn split(path: &Path) -> std::io::Result<(&Path, &str)> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    };
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(bad)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Ok((dir, name))
}

/// [`write_atomic`] relative to an open directory, for callers that reached it without following
/// links: every step (temp file, rename, fsync, unlink on failure) uses that descriptor.
pub fn write_atomic_at<D: AsFd>(
    dir: D,
    name: &str,
    tmp: TempName<'_>,
    data: &[u8],
) -> std::io::Result<()> {
    let dir = dir.as_fd();
    let (tmp, fd) = create_temp(dir, name, tmp)?;
    let result = (|| -> std::io::Result<()> {
        let mut f = File::from(fd);
        f.write_all(data)?;
        f.sync_all()?;
        renameat(dir, tmp.as_str(), dir, name)?;
        fsync(dir)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = unlinkat(dir, tmp.as_str(), UnlinkatFlags::NoRemoveDir);
    }
    result
}

/// Writes `data` to `path` only if nothing is there yet, atomically: the temp file (0600) is
/// created exclusively, written and fsynced, then hard-linked to `path`, which (unlike a rename)
/// fails when the name exists; then the directory is fsynced. Returns false when another writer
/// got there first: its file is kept whole and ours is dropped. A reader never sees a partial
/// file nor a mode wider than 0600.
pub fn write_new(path: &Path, data: &[u8]) -> std::io::Result<bool> {
    let (dir, name) = split(path)?;
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_DIRECTORY | OFlag::O_CLOEXEC).bits())
        .open(dir)?;
    let (tmp, fd) = create_temp(&dir, name, TempName::Random)?;
    let result = (|| -> std::io::Result<bool> {
        let mut f = File::from(fd);
        f.write_all(data)?;
        f.sync_all()?;
        let linked = match linkat(&dir, tmp.as_str(), &dir, name, AtFlags::empty()) {
            Ok(()) => true,
            Err(Errno::EEXIST) => false,
            Err(e) => return Err(e.into()),
        };
        Ok(linked)
    })();
    let _ = unlinkat(&dir, tmp.as_str(), UnlinkatFlags::NoRemoveDir);
    if result.is_ok() {
        fsync(&dir)?;
    }
    result
}

fn create_temp<D: AsFd>(
    dir: D,
    name: &str,
    tmp: TempName<'_>,
) -> std::io::Result<(String, OwnedFd)> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(0o600);
    let dir = dir.as_fd();
    match tmp {
        TempName::Fixed(tmp) => {
            match unlinkat(dir, tmp, UnlinkatFlags::NoRemoveDir) {
                Ok(()) | Err(Errno::ENOENT) => {}
                Err(e) => return Err(e.into()),
            }
            Ok((tmp.to_string(), openat(dir, tmp, flags, mode)?))
        }
        TempName::Random => {
            let mut attempt = 0;
            loop {
                let tmp = format!(".{name}.{:016x}.tmp", unpredictable());
                match openat(dir, tmp.as_str(), flags, mode) {
                    Ok(fd) => return Ok((tmp, fd)),
                    Err(Errno::EEXIST) if attempt < 8 => attempt += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

/// RandomState's keys come from the OS's random source; no extra dependency is needed for a
/// temp name.
fn unpredictable() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn tmpdir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("safe-fs-{tag}-{}", std::process::id()));
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
        nix::unistd::mkfifo(&d.join("in/fifo"), Mode::S_IRWXU).unwrap();
        assert_eq!(
            open_regular(&d.join("in/fifo")).unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        fs::write(d.join("in/plain"), "ok").unwrap();
        assert!(open_regular(&d.join("in/plain")).is_ok());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn write_new_keeps_the_first_writer_s_file() {
        let d = tmpdir("new");
        let path = d.join("in/token");
        assert!(write_new(&path, b"first\n").unwrap());
        assert!(!write_new(&path, b"second\n").unwrap());
        assert_eq!(fs::read_to_string(&path).unwrap(), "first\n");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temp file is left behind, won or lost.
        assert_eq!(fs::read_dir(d.join("in")).unwrap().count(), 1);
        // A planted link at the name is not written through.
        let victim = d.join("elsewhere/victim");
        fs::write(&victim, "keep").unwrap();
        symlink(&victim, d.join("in/link")).unwrap();
        assert!(!write_new(&d.join("in/link"), b"x").unwrap());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn writes_never_go_through_a_planted_temp_link() {
        let d = tmpdir("write");
        let victim = d.join("elsewhere/victim");
        fs::write(&victim, "keep").unwrap();
        symlink(&victim, d.join("in/x.tmp")).unwrap();
        write_atomic(&d.join("in/x"), TempName::Fixed("x.tmp"), b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_to_string(d.join("in/x")).unwrap(), "new");
        assert!(d.join("in/x.tmp").symlink_metadata().is_err());
        // A link in place of the target is replaced, not written through.
        symlink(&victim, d.join("in/y")).unwrap();
        write_atomic(&d.join("in/y"), TempName::Random, b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert!(!d.join("in/y").symlink_metadata().unwrap().is_symlink());
        assert_eq!(
            fs::read_dir(d.join("in")).unwrap().count(),
            2,
            "a temp file was left"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn random_temp_names_cannot_be_guessed_and_are_never_reused() {
        // Records once used `.<record>.<pid>.<subsec nanos>.tmp`: enough to plant a link at it.
        // Random draws spread over the whole range; a pid or a clock would not.
        let names: std::collections::HashSet<u64> = (0..1000).map(|_| unpredictable()).collect();
        assert_eq!(names.len(), 1000);
        let top_nibbles: std::collections::HashSet<u64> = names.iter().map(|n| n >> 60).collect();
        assert!(top_nibbles.len() >= 12, "{top_nibbles:?}");
    }

    #[test]
    fn a_failed_write_leaves_no_temp() {
        let d = tmpdir("fail");
        // Renaming a file over a directory fails after the temp file was written.
        fs::create_dir(d.join("in/taken")).unwrap();
        fs::write(d.join("in/taken/x"), "").unwrap();
        assert!(write_atomic(&d.join("in/taken"), TempName::Random, b"x").is_err());
        assert_eq!(fs::read_dir(d.join("in")).unwrap().count(), 1);
        fs::remove_dir_all(&d).unwrap();
    }
}
