// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
use std::path::PathBuf;

/// Everything a store can fail with; each message says what the user can do next.
#[derive(Debug, thiserror::Error)]
pub enum RecordStoreError {
    #[error("invalid {what} {value:?}: {why}")]
    /// A key part that cannot be one path component.
    BadName {
        /// Which option it came from (`host`, `playbook_name`, `job_name`).
        what: &'static str,
        /// The value as given.
        value: String,
        /// The rule it breaks.
        why: safe_fs::BadComponent,
    },
    #[error("job record {location} is damaged: {why}. It was not treated as missing. Remove it with async_job_save state: absent, or replace it by saving the job's id over it (async_job_save with ansible_job_id, without if_absent)")]
    /// Something is stored under the key but it is not a record; never taken for missing.
    Corrupt {
        /// Where it is, as [`RecordStore::location`](crate::RecordStore::location) names it.
        location: String,
        /// What is wrong with it.
        why: String,
    },
    #[error("could not read job record {path}: {source}")]
    /// Reading the filesystem store failed.
    Read {
        /// What was read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    #[error("could not write job record {path}: {source}")]
    /// Writing the filesystem store failed.
    Write {
        /// What was written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Something below the state dir that the store would have to follow or remove blindly: a
    /// symbolic link or a non-directory where a directory belongs, a directory where a record
    /// belongs.
    #[error("job record path {path} is unsafe: {why}. It was not followed, read or changed; the state dir must hold only real directories and record files below it, so remove or move it by hand")]
    Unsafe {
        /// The offending entry.
        path: PathBuf,
        /// What it is instead of what belongs there.
        why: String,
    },
    /// The state dir, or a directory on its path, is a file.
    #[error("state_dir {} is not a directory: {} is a file. Move the file away, or set state_dir (or the role's state_dir variable) to a directory", state_dir.display(), blocker.display())]
    NotADir {
        /// The state dir as given.
        state_dir: PathBuf,
        /// The file in the way: the state dir itself or one of its parents.
        blocker: PathBuf,
    },
    /// The OCI client's own error: config, key, a service answer or no answer.
    #[error(transparent)]
    Oci(#[from] oci::OciError),
    /// A conditional write lost, and the record that won is gone by the time it is read.
    #[error("{location}: a competing write won, then the record disappeared; run again")]
    Vanished {
        /// The record's location.
        location: String,
    },
}
