// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Directory fsync and the directory lock.

use nix::fcntl::{Flock, FlockArg};
use std::fs::{DirBuilder, File};
use std::ops::Deref;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

/// Makes a rename or unlink in `dir` durable. A failure here only weakens crash safety, so it is
/// not reported.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive flock on a directory, held until dropped. Every process that decides something
/// about the directory's entries takes it first, so check-then-act is one step between processes.
pub struct DirLock(Flock<OwnedFd>);

impl DirLock {
    /// Locks `path`, creating it (and its parents, with `mode`) first when it does not exist.
    pub fn create_and_lock(path: &Path, mode: u32) -> std::io::Result<DirLock> {
        DirBuilder::new().recursive(true).mode(mode).create(path)?;
        DirLock::lock(OwnedFd::from(File::open(path)?))
    }

    /// Locks a directory already opened (without following links, if the caller needs that).
    /// Waits for the lock.
    pub fn lock(dir: OwnedFd) -> std::io::Result<DirLock> {
        Flock::lock(dir, FlockArg::LockExclusive)
            .map(DirLock)
            .map_err(|(_, errno)| errno.into())
    }
}

impl Deref for DirLock {
    type Target = OwnedFd;
    fn deref(&self) -> &OwnedFd {
        &self.0
    }
}

impl AsFd for DirLock {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.0.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn one_holder_at_a_time_across_open_files() {
        let d = std::env::temp_dir().join(format!("safe-fs-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..20)
            .map(|_| {
                let (d, inside, most) = (d.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    // Each thread opens the dir itself: flock locks belong to open files.
                    let _l = DirLock::create_and_lock(&d.join("a/b"), 0o700).unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("a/b"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
