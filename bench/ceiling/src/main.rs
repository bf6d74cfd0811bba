// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `ceiling ADDR`: answers `POST /api/v1/jobs` with a fixed 202 and a small JSON body, without
//! reading the headers or parsing the body. Hit by bench/loadgen in the same run as the job
//! service, it says what this machine's HTTP stack (kernel, tokio, hyper, axum) can do at all:
//! the ceiling the service's submissions/s are a fraction of.

use std::process::ExitCode;

use axum::http::{header, StatusCode};
use axum::routing::post;
use axum::Router;

const ANSWER: &str = r#"{"job_id":"01900000-0000-7000-8000-000000000000","status":"pending","created_at":"2026-01-01T00:00:00.000000Z"}"#;

async fn submit(
    _body: axum::body::Bytes,
) -> (
    StatusCode,
    [(header::HeaderName, &'static str); 1],
    &'static str,
) {
    // The body is read (as the service must) but not parsed.
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, "application/json")],
        ANSWER,
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: ceiling ADDR (e.g. 127.0.0.1:8099)");
        return ExitCode::from(2);
    };
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ceiling: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let app = Router::new().route("/api/v1/jobs", post(submit));
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ceiling: {e}");
            ExitCode::FAILURE
        }
    }
}
