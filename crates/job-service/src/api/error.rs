// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Every refusal is JSON `{"detail", "field"?}` with the right code; a store that is away for the
//! moment (Redis restarting, a link down) is a 503 with `Retry-After`, other store failures are
//! 500s; all are logged, none leaks a backtrace.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use job_core::{FieldError, JobStoreError, JobStoreErrorKind};

use super::view::ErrorBody;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                detail: detail.into(),
                field: None,
                job_id: None,
            },
        }
    }

    pub fn field(status: StatusCode, field: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(status, detail);
        e.body.field = Some(field.to_string());
        e
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Job not found")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "a valid `Authorization: Bearer <token>` header is required",
        )
    }

    /// Every slot for a held request (`?wait`, `?sync`, an event stream) is taken.
    pub fn too_many_held() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests held open (?wait, ?sync=true, event streams; --max-long-polls): retry, or ask without waiting",
        )
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        let detail = format!("{}: {}", e.field, e.detail);
        Self::field(StatusCode::UNPROCESSABLE_ENTITY, &e.field, detail)
    }
}

impl From<JobStoreError> for ApiError {
    fn from(e: JobStoreError) -> Self {
        match e.kind() {
            JobStoreErrorKind::Unavailable | JobStoreErrorKind::Refused => {
                tracing::warn!(error = %e, "the store is unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{e}; the store is unavailable for the moment: retry"),
                )
            }
            JobStoreErrorKind::Corrupt | JobStoreErrorKind::Failed => {
                tracing::error!(error = %e, "store call failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}
