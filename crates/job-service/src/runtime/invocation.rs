// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! How a job becomes an ansible-playbook command line: the playbook and inventory resolved in
//! the project again, extra vars in a 0600 file, and an environment from an allow-list.

use std::ffi::OsString;
use std::os::unix::fs::DirBuilderExt;
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
) -> Result<(Spec, orphans::RunLock), String> {
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
    let run_lock = orphans::RunLock::acquire(job_dir)
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
        env: environment(callback_dir, &state.pass_env),
        timeout: spec.timeout.map(Duration::from_secs),
        grace: state.grace,
        events_fd: true,
        max_event_line: state.event_line_max,
        open_files: state.child_open_files,
    };
    Ok((run, run_lock))
}

/// 0600, atomically, and the directory fsynced: the file holds a client's extra vars.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    safe_fs::write_atomic(path, safe_fs::TempName::Random, data)
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

/// The prefix of the service's own environment variables (config.rs): never passed.
const SERVICE_PREFIX: &str = "AJS_";

fn environment(callback_dir: &Path, pass_env: &[String]) -> Vec<(OsString, OsString)> {
    environment_from(std::env::vars_os(), callback_dir, pass_env)
}

/// [`environment`] from the given variables rather than the process's, so that a test need not
/// change the environment of a multi-threaded test binary.
fn environment_from(
    vars: impl Iterator<Item = (OsString, OsString)>,
    callback_dir: &Path,
    pass_env: &[String],
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut enabled = String::new();
    let mut plugin_dirs = callback_dir.as_os_str().to_owned();
    for (k, v) in vars {
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
            // The service's own settings (AJS_STORE, AJS_REDIS_URL with a password, the paths
            // of its token files) are never a playbook's, whatever --pass-env matches ('*_URL').
            _ if key.starts_with(SERVICE_PREFIX) => {}
            _ if PASSED.contains(&key)
                || key.starts_with("LC_")
                || key.starts_with("ANSIBLE_")
                || pass_env.iter().any(|p| glob_match(p, key)) =>
            {
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

/// The `--pass-env` patterns, with a warning for one that passes every variable: a secret of the
/// service's environment (a cloud key meant for it alone) then reaches every playbook. Its own
/// `AJS_*` variables never do ([`SERVICE_PREFIX`]).
pub fn pass_env(patterns: &[String]) -> Vec<String> {
    for p in patterns.iter().filter(|p| p.bytes().all(|b| b == b'*')) {
        tracing::warn!(
            "--pass-env {p}: every variable of the service's environment reaches every playbook, \
             its secrets included; name the variables instead (AWS_*, *_PROXY)"
        );
    }
    if !patterns.is_empty() {
        tracing::info!(pass_env = ?patterns, "passed to ansible-playbook beyond the built-in allow-list");
    }
    patterns.to_vec()
}

/// `--pass-env`: a variable name, or a pattern of one where `*` stands for any run of
/// characters. Only the characters of names, so that a typo cannot silently match nothing in an
/// unexpected way (`AWS-*`).
pub fn pass_env_pattern(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'*');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?}: give a variable name, with * for any characters (AWS_*, *_PROXY)"
        ))
    }
}

/// `*` matches any run of characters (none included); everything else matches itself. Exact
/// case: environment names are case-sensitive (`http_proxy` and `HTTP_PROXY` are two).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    // Where the last `*` was, and the name position it was tried at: on a mismatch the star
    // takes one more character. Linear in practice, never exponential.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ni));
            pi += 1;
        } else if pi < p.len() && p[pi] == n[ni] {
            pi += 1;
            ni += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        assert!(glob_match("AWS_*", "AWS_PROFILE"));
        assert!(glob_match("AWS_*", "AWS_"));
        assert!(!glob_match("AWS_*", "XAWS_PROFILE"));
        assert!(glob_match("*_PROXY", "HTTPS_PROXY"));
        assert!(!glob_match("*_PROXY", "https_proxy"));
        assert!(glob_match("KUBECONFIG", "KUBECONFIG"));
        assert!(!glob_match("KUBECONFIG", "KUBECONFIG2"));
        assert!(glob_match("*", "ANYTHING"));
        assert!(glob_match("A*B*C", "AxxBxxC"));
        assert!(!glob_match("A*B*C", "AxxBxxD"));
    }

    #[test]
    fn the_services_own_variables_never_reach_a_playbook() {
        let vars = [
            ("AJS_REDIS_URL", "redis://:s3cret@db:6379"),
            ("AJS_STORE", "redis://:s3cret@db:6379"),
            ("AJS_TOKENS_FILE", "/etc/ajs/tokens"),
            ("HTTPS_PROXY_URL", "http://proxy:3128"),
            ("AWS_PROFILE", "ops"),
            ("PATH", "/usr/bin"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let names = |patterns: &[&str]| -> Vec<String> {
            let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_string()).collect();
            environment_from(vars.clone().into_iter(), Path::new("/cb"), &patterns)
                .into_iter()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect()
        };
        for patterns in [&["*"][..], &["*_URL"], &["A*"], &["AJS_*"], &["AJS_STORE"]] {
            let passed = names(patterns);
            assert!(
                !passed.iter().any(|k| k.starts_with("AJS_")),
                "{patterns:?}: {passed:?}"
            );
        }
        // The patterns still pass what they name otherwise.
        assert!(names(&["*_URL"]).contains(&"HTTPS_PROXY_URL".to_string()));
        assert!(names(&["A*"]).contains(&"AWS_PROFILE".to_string()));
        assert!(names(&[]).contains(&"PATH".to_string()));
    }

    #[test]
    fn patterns_are_names_and_stars() {
        assert!(pass_env_pattern("AWS_*").is_ok());
        assert!(pass_env_pattern("*").is_ok());
        for bad in ["", "AWS-*", "A B", "A=B", "A?"] {
            assert!(pass_env_pattern(bad).is_err(), "{bad:?}");
        }
    }
}
