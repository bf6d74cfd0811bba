// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
/// Everything that can go wrong; messages never contain key material or the Authorization header.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("OCI config: {0}")]
    Config(String),
    #[error("OCI API key: {0}")]
    Key(String),
    /// The service answered with an error.
    #[error(
        "OCI Object Storage {operation}: {status} {code}: {message} (opc-request-id: {request_id})"
    )]
    Service {
        operation: String,
        status: u16,
        code: String,
        message: String,
        request_id: String,
    },
    /// No answer: connection refused, reset, timed out, or the time limit ran out.
    #[error("OCI Object Storage {operation}: {detail}")]
    Transport { operation: String, detail: String },
}

impl OciError {
    pub fn status(&self) -> Option<u16> {
        match self {
            OciError::Service { status, .. } => Some(*status),
            _ => None,
        }
    }
}
