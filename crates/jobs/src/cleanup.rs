//! Removing a job's files.

use crate::alias::sync_dir;
use crate::dir::AsyncDir;
use crate::error::{write_err, Result};
use crate::names::Jid;
use std::io::ErrorKind;
use std::path::PathBuf;

/// Files the wrapper and async_kill leave next to a job file when interrupted.
pub fn leftovers(dir: &AsyncDir, jid: &Jid) -> Vec<PathBuf> {
    ["tmp", "kill"]
        .iter()
        .map(|ext| dir.path().join(format!("{}.{ext}", jid.as_str())))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect()
}

/// Removes the paths; returns those that existed and are now gone.
pub fn remove_all(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for path in paths {
        match std::fs::remove_file(path) {
            Ok(()) => removed.push(path.clone()),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(write_err(path)(e)),
        }
    }
    if let Some(parent) = paths.first().and_then(|p| p.parent()) {
        sync_dir(parent);
    }
    Ok(removed)
}
