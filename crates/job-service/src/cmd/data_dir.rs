// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Where the service keeps its state when `--data-dir` is not given: outside the project, so that
//! a git checkout or a read-only shared mount of playbooks holds no job, token or database.

use std::ffi::OsString;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::CommandError;

const NAME: &str = "ansible-job-service";

/// Where the default comes from; only the XDG one may create missing parents.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    /// systemd's `StateDirectory=` (it created the directory, with the unit's user and mode).
    Systemd(PathBuf),
    /// root without systemd: the FHS place for a service's state.
    Root(PathBuf),
    /// A normal user: the XDG base directory spec's state home.
    Xdg(PathBuf),
}

impl Place {
    pub fn path(&self) -> &Path {
        match self {
            Self::Systemd(p) | Self::Root(p) | Self::Xdg(p) => p,
        }
    }
}

/// The default data dir from the process's environment and user.
pub fn default_for(
    state_directory: Option<OsString>,
    root: bool,
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
) -> Result<Place, CommandError> {
    // StateDirectory=a b gives a colon-separated list; the first is this service's own.
    if let Some(dirs) = state_directory.filter(|d| !d.is_empty()) {
        if let Some(first) = std::env::split_paths(&dirs).find(|p| p.is_absolute()) {
            return Ok(Place::Systemd(first));
        }
    }
    if root {
        return Ok(Place::Root(PathBuf::from("/var/lib").join(NAME)));
    }
    // The spec: a relative XDG_STATE_HOME is invalid and is ignored.
    if let Some(x) = xdg_state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(Place::Xdg(x.join(NAME)));
    }
    match home.map(PathBuf::from).filter(|p| p.is_absolute()) {
        Some(h) => Ok(Place::Xdg(h.join(".local/state").join(NAME))),
        None => Err(CommandError::Usage(
            "no --data-dir and neither XDG_STATE_HOME nor HOME is set: give --data-dir DIR".into(),
        )),
    }
}

/// The data dir to use: the one given (created with its parents, as always), or the default,
/// created 0700 when missing.
pub fn resolve(given: Option<&Path>) -> Result<PathBuf, CommandError> {
    if let Some(dir) = given {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| CommandError::Usage(format!("--data-dir {}: {e}", dir.display())))?;
        return Ok(dir.to_path_buf());
    }
    let default = default_for(
        std::env::var_os("STATE_DIRECTORY"),
        nix::unistd::geteuid().is_root(),
        std::env::var_os("XDG_STATE_HOME"),
        std::env::var_os("HOME"),
    )?;
    let dir = default.path();
    // The spec's base directories are 0700, so parents made here are too. /var/lib and
    // systemd's directory are not ours to create parents for.
    let made = std::fs::DirBuilder::new()
        .recursive(matches!(default, Place::Xdg(_)))
        .mode(0o700)
        .create(dir);
    match made {
        Ok(()) => Ok(dir.to_path_buf()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            Ok(dir.to_path_buf())
        }
        Err(e) => Err(CommandError::Usage(format!(
            "the default data dir {}: {e}; create it, or give --data-dir DIR",
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn systemd_then_root_then_xdg_then_home() {
        let d = default_for(os("/var/lib/ajs:/var/lib/other"), true, None, os("/root")).unwrap();
        assert_eq!(d, Place::Systemd("/var/lib/ajs".into()));
        let d = default_for(None, true, os("/x"), os("/root")).unwrap();
        assert_eq!(d, Place::Root("/var/lib/ansible-job-service".into()));
        let d = default_for(os(""), false, os("/x/state"), os("/home/u")).unwrap();
        assert_eq!(d, Place::Xdg("/x/state/ansible-job-service".into()));
        let d = default_for(None, false, os("relative"), os("/home/u")).unwrap();
        assert_eq!(
            d,
            Place::Xdg("/home/u/.local/state/ansible-job-service".into())
        );
        assert!(default_for(None, false, None, None).is_err());
    }
}
