// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
use std::path::PathBuf;

/// Everything that can go wrong on the host, with the path involved so messages are actionable.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("invalid job id '{0}': expected the async wrapper's format, like j123456789012.4242")]
    /// A jid not in the wrapper's format.
    BadJid(String),
    #[error("invalid alias {0:?}: {1}")]
    /// An alias that cannot be a single file name; the second field says which rule it breaks.
    BadAlias(String, safe_fs::BadComponent),
    #[error("cannot expand the async dir '{0}': {1}")]
    /// The async dir as given, and why it could not be expanded.
    BadDir(String, String),
    #[error("could not read {path}: {source}")]
    /// Reading a file or link failed.
    Read {
        /// What was read.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    #[error("could not write {path}: {source}")]
    /// Writing, renaming or removing a file failed.
    Write {
        /// What was written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    #[error("could not remove {path}: {source}")]
    /// Unlinking a job's file, name, claim or leftover failed.
    Remove {
        /// What was to be removed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    #[error("{0} exists but is not an alias symlink; refusing to touch it")]
    /// The alias's path holds something other than a symlink.
    NotAnAlias(PathBuf),
    #[error(
        "broken alias {}: it points to '{target}', which is not a job file in this async dir; \
         it was not followed and nothing was changed. Remove the link, or re-point it with \
         async_alias force=true",
        link.display()
    )]
    /// An alias whose target is not a job file directly in this async dir: never followed.
    BrokenAlias {
        /// The symlink.
        link: PathBuf,
        /// Its target as stored.
        target: String,
    },
    #[error(
        "the job file {} is unreadable ({why}); look at it, then remove it with \
         async_status_id mode=full_cleanup",
        path.display()
    )]
    /// A job file that cannot be parsed: its job may still be running, so nothing acts on it.
    UnreadableJob {
        /// The job file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    #[error(
        "the async dir {} is not a directory ({} is a file). Move the file away, or point the \
         async dir elsewhere (ANSIBLE_ASYNC_DIR, [defaults] async_dir or the ansible_async_dir variable)",
        dir.display(),
        blocker.display()
    )]
    /// The async dir, or a directory on its path, exists as something other than a directory.
    NotADir {
        /// The async dir.
        dir: PathBuf,
        /// What is not a directory: the async dir or one of its parents.
        blocker: PathBuf,
    },
    #[error("invalid claim token: {0}")]
    /// A claim token not in the strict format; the field says which rule it breaks.
    BadToken(&'static str),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, JobError>;

pub(crate) fn read_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> JobError + '_ {
    move |source| JobError::Read {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn write_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> JobError + '_ {
    move |source| JobError::Write {
        path: path.to_path_buf(),
        source,
    }
}
