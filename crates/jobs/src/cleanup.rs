// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn removing_leftovers_unlinks_names_never_link_targets() {
        let d = std::env::temp_dir().join(format!("jobs-cleanup-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let victim = d.with_extension("victim");
        fs::write(&victim, "keep").unwrap();
        let dir = AsyncDir::from_path(&d);
        let jid = Jid::parse("j8.8").unwrap();
        for name in ["j8.8", "j8.8.tmp", "j8.8.kill"] {
            std::os::unix::fs::symlink(&victim, d.join(name)).unwrap();
        }
        let mut paths = vec![dir.job_file(&jid)];
        paths.extend(leftovers(&dir, &jid));
        assert_eq!(paths.len(), 3);
        assert_eq!(remove_all(&paths).unwrap().len(), 3);
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
        fs::remove_dir_all(&d).unwrap();
        fs::remove_file(&victim).unwrap();
    }
}
