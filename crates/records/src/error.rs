use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid {what} {value:?}: {why}")]
    BadName {
        what: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("job record {location} is damaged: {why}. It was not treated as missing. Remove it with async_job_save state: absent, or replace it by saving the job's id over it (async_job_save with ansible_job_id, without if_absent)")]
    Corrupt { location: String, why: String },
    #[error("could not read job record {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write job record {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Backend(String),
}
