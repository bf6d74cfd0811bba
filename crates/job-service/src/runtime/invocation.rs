// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! How a job becomes an ansible-playbook command line: the playbook and inventory resolved in
//! the project again, extra vars in a 0600 file, and an environment from an allow-list.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use job_core::{Inventory, Job};
use job_runner::Spec;

use crate::runtime::orphans;
use crate::runtime::vars_file;
use crate::state::AppState;

/// The command line, the job dir and the environment; a refusal is a `spawn` failure. The job
/// dir's lock is held until the run ended: see orphans.rs.
pub fn prepare(
    state: &AppState,
    job: &Job,
    job_dir: &Path,
    callback_dir: &Path,
) -> Result<(Spec, orphans::Claim), String> {
    let spec = &job.spec;
    // Resolved again at run time: a symlink swapped since the POST must not lead outside.
    let playbook = state
        .project
        .resolve(&spec.playbook)
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "playbook {} is no longer a file inside the project",
                spec.playbook
            )
        })?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(job_dir)
        .map_err(|e| format!("cannot create the job dir {}: {e}", job_dir.display()))?;
    let claim = orphans::Claim::take(job_dir)
        .map_err(|e| format!("cannot lock the job dir {}: {e}", job_dir.display()))?;
    // Client strings that could hold a template are tagged `!unsafe` (vars_file.rs), so none is
    // ever rendered, unless the operator opted in with --allow-templates-in-extra-vars: then
    // plain JSON, which ansible-core trusts as it trusts a file of the project.
    let (vars, data) = if state.allow_templates_in_extra_vars {
        let json = serde_json::to_vec(&spec.extra_vars)
            .map_err(|e| format!("cannot write the extra vars as JSON: {e}"))?;
        (job_dir.join("extra_vars.json"), json)
    } else {
        (
            job_dir.join("extra_vars.yml"),
            vars_file::unsafe_yaml(&spec.extra_vars).into_bytes(),
        )
    };
    write_private(&vars, &data).map_err(|e| format!("cannot write {}: {e}", vars.display()))?;
    let mut args: Vec<OsString> = vec!["-i".into()];
    match &spec.inventory {
        Inventory::Hosts(_) => args.push(spec.inventory.display().into()),
        Inventory::File(rel) => {
            // Checked again: the file may have moved, or gained an execute bit, since the POST.
            let path = state
                .project
                .inventory_file(rel)
                .map_err(|e| format!("inventory {rel} is refused now: {}", e.detail))?;
            args.push(path.into());
        }
    }
    args.push("-e".into());
    let mut at = OsString::from("@");
    at.push(&vars);
    args.push(at);
    if let Some(limit) = &spec.limit {
        args.push(format!("--limit={limit}").into());
    }
    if let Some(tags) = &spec.tags {
        args.push(format!("--tags={}", tags.join(",")).into());
    }
    if spec.check {
        args.push("--check".into());
    }
    args.push(playbook.into());
    let run = Spec {
        program: state.ansible_playbook.clone(),
        args,
        cwd: state.project.root().to_path_buf(),
        env: environment(callback_dir),
        timeout: spec.timeout.map(Duration::from_secs),
        grace: state.grace,
        events_fd: true,
        max_event_line: state.event_line_max,
        open_files: state.child_open_files,
    };
    Ok((run, claim))
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path)?;
    // No fsync: the file is read once, by the child about to start, from the page cache. After
    // a power cut there is neither the run nor a reason to read it again (the job dir is swept).
    // Each fsync here cost a worker ~0.4 ms of blocked thread per job (docs/performance.md).
    f.write_all(data)
}

/// Only these reach ansible-playbook from the service's environment (plus the operator's
/// ANSIBLE_* settings): a token or a cloud credential in the service's env stays there.
const PASSED: [&str; 11] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "SSH_AUTH_SOCK",
    "VIRTUAL_ENV",
    "TERM",
];

fn environment(callback_dir: &Path) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut enabled = String::new();
    let mut plugin_dirs = callback_dir.as_os_str().to_owned();
    for (k, v) in std::env::vars_os() {
        let Some(key) = k.to_str() else { continue };
        match key {
            "ANSIBLE_CALLBACKS_ENABLED" | "ANSIBLE_CALLBACK_WHITELIST" => {
                enabled = v.to_string_lossy().into_owned();
            }
            "ANSIBLE_CALLBACK_PLUGINS" => {
                plugin_dirs.push(":");
                plugin_dirs.push(&v);
            }
            "ANSIBLE_FORCE_COLOR" | "ANSIBLE_NOCOLOR" | "JOB_EVENTS_FD" => {}
            _ if PASSED.contains(&key) || key.starts_with("LC_") || key.starts_with("ANSIBLE_") => {
                env.push((k, v));
            }
            _ => {}
        }
    }
    let enabled = if enabled.trim().is_empty() {
        "job_events".to_string()
    } else {
        format!("{enabled},job_events")
    };
    env.extend([
        ("ANSIBLE_CALLBACK_PLUGINS".into(), plugin_dirs),
        ("ANSIBLE_CALLBACKS_ENABLED".into(), enabled.into()),
        ("JOB_EVENTS_FD".into(), "3".into()),
        ("ANSIBLE_NOCOLOR".into(), "1".into()),
        ("ANSIBLE_FORCE_COLOR".into(), "0".into()),
        ("ANSIBLE_RETRY_FILES_ENABLED".into(), "0".into()),
        ("PYTHONUNBUFFERED".into(), "1".into()),
    ]);
    env
}
