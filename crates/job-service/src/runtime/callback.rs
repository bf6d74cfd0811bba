// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The collection's job_events callback, shipped inside the binary: the service works whether or
//! not the collection is installed where ansible-playbook looks, and runs the callback version it
//! was built with.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SOURCE: &str = include_str!("../../../../plugins/callback/job_events.py");

/// Writes `<data-dir>/callback_plugins/job_events.py` atomically; returns the directory.
pub fn install(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("callback_plugins");
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    safe_fs::write_atomic(
        &dir.join("job_events.py"),
        safe_fs::TempName::Random,
        SOURCE.as_bytes(),
    )?;
    Ok(dir)
}
