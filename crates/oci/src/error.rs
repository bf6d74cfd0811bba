// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
/// Everything that can go wrong; messages never contain key material or the Authorization header.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("OCI config: {0}")]
    /// The config file or profile is missing, unreadable or incomplete.
    Config(String),
    #[error("OCI API key: {0}")]
    /// The API key cannot be read, decrypted, used, or does not match the fingerprint.
    Key(String),
    /// The service answered with an error.
    #[error(
        "OCI Object Storage {operation}: {status} {code}: {message} (opc-request-id: {request_id})"
    )]
    Service {
        /// What was asked, e.g. `PUT bucket/name`.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// OCI's error code, e.g. `BucketNotFound`.
        code: String,
        /// OCI's message.
        message: String,
        /// `opc-request-id`, what Oracle support asks for.
        request_id: String,
    },
    /// No answer: connection refused, reset, timed out, or the time limit ran out.
    #[error("OCI Object Storage {operation}: {detail}")]
    Transport {
        /// What was asked, e.g. `PUT bucket/name`.
        operation: String,
        /// What went wrong, with the attempts made.
        detail: String,
    },
}

impl OciError {
    /// The HTTP status of a service error; `None` for everything else.
    pub fn status(&self) -> Option<u16> {
        match self {
            OciError::Service { status, .. } => Some(*status),
            _ => None,
        }
    }
}
