// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Replacing a symlink atomically.

use crate::dir::sync_dir;
use std::path::Path;

/// Points the link `path` at `target`: a new link under `tmp` (in the same directory, a stale
/// one unlinked first), renamed over `path`. A reader sees the old target or the new one, never
/// no link; whatever stood at `path` is replaced, never followed.
pub fn replace_symlink(target: &Path, path: &Path, tmp: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(tmp);
    std::os::unix::fs::symlink(target, tmp)?;
    if let Err(e) = std::fs::rename(tmp, path) {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    if let Some(dir) = path.parent() {
        sync_dir(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn replaces_links_and_files_never_their_targets() {
        let d = std::env::temp_dir().join(format!("safe-fs-link-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(d.join("victim"), d.join("tmp")).unwrap();
        std::os::unix::fs::symlink(d.join("victim"), d.join("name")).unwrap();
        replace_symlink(Path::new("j1.2"), &d.join("name"), &d.join("tmp")).unwrap();
        assert_eq!(fs::read_link(d.join("name")).unwrap(), Path::new("j1.2"));
        assert_eq!(fs::read_to_string(d.join("victim")).unwrap(), "keep");
        assert!(d.join("tmp").symlink_metadata().is_err());
        fs::remove_dir_all(&d).unwrap();
    }
}
