// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
use std::path::PathBuf;

/// Everything that can go wrong on the host, with the path involved so messages are actionable.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("invalid job id '{0}': expected the async wrapper's format, like j123456789012.4242")]
    BadJid(String),
    #[error("invalid alias {0:?}: {1}")]
    BadAlias(String, safe_fs::BadComponent),
    #[error("cannot expand the async dir '{0}': {1}")]
    BadDir(String, String),
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} exists but is not an alias symlink; refusing to touch it")]
    NotAnAlias(PathBuf),
    #[error(
        "broken alias {}: it points to '{target}', which is not a job file in this async dir; \
         it was not followed and nothing was changed. Remove the link, or re-point it with \
         async_alias force=true",
        link.display()
    )]
    BrokenAlias { link: PathBuf, target: String },
    #[error(
        "the job file {} is unreadable ({why}); look at it, then remove it with \
         async_status_id mode=full_cleanup",
        path.display()
    )]
    UnreadableJob { path: PathBuf, why: String },
    #[error("invalid claim token: {0}")]
    BadToken(&'static str),
}

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
