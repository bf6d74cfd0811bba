// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The router in-process (axum's examples/testing: `oneshot`), on a real SQLite store in a
//! temporary dir and no workers: an accepted job stays pending. Beside, not instead of, the
//! end-to-end tests of tests/service.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use job_core::store::sqlite::SqliteStore;
use job_core::Project;
use job_service::api::{self, guard, ApiConfig};
use job_service::auth::tokens::{Sources, Tokens};
use job_service::state::{AppState, Setup};
use serde_json::Value;
use tower::ServiceExt;

const TOKEN: &str = "s3cret-token-for-router-tests";
const HOST: &str = "127.0.0.1:8089";

struct App {
    router: Router,
    _dir: tempfile::TempDir,
}

fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.yml"), "- hosts: all\n  tasks: []\n").unwrap();
    let store = SqliteStore::open(&dir.path().join("jobs.sqlite3"), 1 << 20).unwrap();
    let setup = Setup {
        store: Arc::new(store),
        project: Project::open(dir.path()).unwrap(),
        data_dir: dir.path().to_path_buf(),
        ansible_playbook: PathBuf::from("/bin/false"),
        allow_templates_in_extra_vars: false,
        grace: Duration::from_secs(1),
        event_line_max: job_runner::MAX_EVENT_LINE,
        child_open_files: None,
    };
    let policy = guard::Policy::new(HOST.parse().unwrap(), vec![], vec![]);
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tokens = Tokens::load(Sources {
        single: Some((token_file, "--token-file")),
        file: None,
    })
    .unwrap();
    let config = ApiConfig::new(Some(Arc::new(tokens)), Duration::from_secs(1), policy);
    App {
        router: api::router(Arc::new(AppState::new(setup)), config),
        _dir: dir,
    }
}

struct Answer {
    status: StatusCode,
    json: Value,
}

impl App {
    /// A request as a client on loopback sends it: `Host` the service, the token, JSON.
    async fn send(&self, method: &str, path: &str, body: &str, extra: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", HOST)
            .header("authorization", format!("Bearer {TOKEN}"));
        if method == "POST" {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, json }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, "", &[]).await
    }

    async fn post(&self, path: &str, body: &str) -> Answer {
        self.send("POST", path, body, &[]).await
    }

    /// A request without the default headers but `Host`: each test adds what it means.
    async fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        Answer {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}

/// Every refusal is the service's JSON: a `detail`, and the `field` when one is named.
fn refused(a: &Answer, status: StatusCode, field: Option<&str>) {
    assert_eq!(a.status, status, "{}", a.json);
    assert!(
        a.json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}",
        a.json
    );
    assert_eq!(a.json["field"].as_str(), field, "{}", a.json);
}

#[tokio::test]
async fn health_needs_no_token() {
    let app = app();
    let a = app.raw("GET", "/healthz", &[("host", HOST)], "").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json["status"], "ok");
}

#[tokio::test]
async fn the_token_is_required_and_checked() {
    let app = app();
    let missing = app.raw("GET", "/api/v1/jobs", &[("host", HOST)], "").await;
    refused(&missing, StatusCode::UNAUTHORIZED, None);
    let wrong = app
        .raw(
            "GET",
            "/api/v1/jobs",
            &[("host", HOST), ("authorization", "Bearer not-it")],
            "",
        )
        .await;
    refused(&wrong, StatusCode::UNAUTHORIZED, None);
    let right = app.get("/api/v1/jobs").await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.json);
    assert_eq!(right.json["jobs"], Value::Array(vec![]));
}

#[tokio::test]
async fn a_bad_body_is_refused_naming_the_field() {
    let app = app();
    refused(
        &app.post("/api/v1/jobs", "{\"playbook\": ").await,
        StatusCode::BAD_REQUEST,
        None,
    );
    refused(
        &app.post("/api/v1/jobs", "[1]").await,
        StatusCode::BAD_REQUEST,
        None,
    );
    for (body, field) in [
        (r#"{"extra_vars": {}}"#, "playbook"),
        (r#"{"playbook": ["hello.yml"]}"#, "playbook"),
        (r#"{"playbook": "../x.yml"}"#, "playbook"),
        (r#"{"playbook": "hello.yml", "extravars": {}}"#, "extravars"),
        (r#"{"playbook": "hello.yml", "timeout": 1.5}"#, "timeout"),
        (r#"{"playbook": "hello.yml", "tags": [1]}"#, "tags"),
        (r#"{"playbook": "hello.yml", "check": "yes"}"#, "check"),
        (
            r#"{"playbook": "hello.yml", "extra_vars": {"hostvars": 1}}"#,
            "extra_vars",
        ),
    ] {
        let a = app.post("/api/v1/jobs", body).await;
        refused(&a, StatusCode::UNPROCESSABLE_ENTITY, Some(field));
    }
    assert_eq!(
        app.get("/api/v1/jobs").await.json["jobs"],
        Value::Array(vec![])
    );
}

#[tokio::test]
async fn a_good_body_is_queued_and_found() {
    let app = app();
    let a = app
        .post(
            "/api/v1/jobs",
            r#"{"playbook": "hello.yml", "tags": "a, b"}"#,
        )
        .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.json);
    let id = a.json["job_id"].as_str().unwrap();
    let got = app.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["status"], "pending");
}

#[tokio::test]
async fn an_unknown_or_malformed_job_id() {
    let app = app();
    let unknown = app
        .get("/api/v1/jobs/0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6")
        .await;
    refused(&unknown, StatusCode::NOT_FOUND, None);
    for path in [
        "/api/v1/jobs/nope",
        "/api/v1/jobs/0193e7a12b3c7d4e8f90a1b2c3d4e5f6/stdout",
        "/api/v1/jobs/%FF/events",
    ] {
        refused(
            &app.get(path).await,
            StatusCode::BAD_REQUEST,
            Some("job_id"),
        );
    }
    let cancel = app
        .post(
            "/api/v1/jobs/0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6/cancel",
            "{}",
        )
        .await;
    refused(&cancel, StatusCode::NOT_FOUND, None);
}

#[tokio::test]
async fn query_parameters_are_typed_and_unknown_ones_ignored() {
    let app = app();
    for (path, field) in [
        ("/api/v1/jobs?limit=0", "limit"),
        ("/api/v1/jobs?limit=%2B5", "limit"),
        ("/api/v1/jobs?cursor=-1", "cursor"),
        ("/api/v1/jobs?status=done", "status"),
        ("/api/v1/jobs?name=a%20b", "name"),
    ] {
        refused(
            &app.get(path).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(field),
        );
    }
    let id = "0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6";
    for (path, field) in [
        (format!("/api/v1/jobs/{id}?wait=x"), "wait"),
        (format!("/api/v1/jobs/{id}?wait=86401"), "wait"),
        (format!("/api/v1/jobs/{id}/stdout?offset=1.5"), "offset"),
        (format!("/api/v1/jobs/{id}/events?after=-3"), "after"),
    ] {
        refused(
            &app.get(&path).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(field),
        );
    }
    for q in ["?sync=1", "?sync=", "?wait=-1"] {
        let a = app
            .post(&format!("/api/v1/jobs{q}"), r#"{"playbook": "hello.yml"}"#)
            .await;
        let field = if q.starts_with("?sync") {
            "sync"
        } else {
            "wait"
        };
        refused(&a, StatusCode::UNPROCESSABLE_ENTITY, Some(field));
    }
    let header = app
        .send(
            "GET",
            &format!("/api/v1/jobs/{id}/events"),
            "",
            &[("last-event-id", "x")],
        )
        .await;
    refused(
        &header,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Last-Event-ID"),
    );
    // Sent twice is ambiguous: refused, not the last one silently winning.
    let twice = app.get("/api/v1/jobs?limit=5&limit=6").await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.json
    );
    // A parameter the endpoint does not take is ignored, as it always was.
    let a = app.get("/api/v1/jobs?colour=blue&limit=5").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
}

#[tokio::test]
async fn the_guard_refuses_before_the_token() {
    let app = app();
    let plain = app
        .raw(
            "POST",
            "/api/v1/jobs",
            &[("host", HOST), ("content-type", "text/plain")],
            r#"{"playbook": "hello.yml"}"#,
        )
        .await;
    refused(&plain, StatusCode::UNSUPPORTED_MEDIA_TYPE, None);
    let rebound = app
        .raw(
            "GET",
            "/api/v1/jobs",
            &[("host", "attacker.example:8089")],
            "",
        )
        .await;
    refused(&rebound, StatusCode::MISDIRECTED_REQUEST, None);
    let page = app
        .raw(
            "GET",
            "/api/v1/jobs",
            &[("host", HOST), ("origin", "https://attacker.example")],
            "",
        )
        .await;
    refused(&page, StatusCode::FORBIDDEN, None);
}

#[tokio::test]
async fn the_served_document_is_the_routers() {
    let app = app();
    let served = app.get("/api/v1/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    let built = serde_json::to_value(api::document()).unwrap();
    assert_eq!(served.json, built);
    let paths = built["paths"].as_object().unwrap();
    let mut names: Vec<&str> = paths.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "/api/v1/jobs",
            "/api/v1/jobs/{job_id}",
            "/api/v1/jobs/{job_id}/cancel",
            "/api/v1/jobs/{job_id}/events",
            "/api/v1/jobs/{job_id}/stdout",
            "/api/v1/openapi.json",
            "/healthz",
            "/metrics",
        ]
    );
    // Each documented operation is served: none answers the fallback's 404.
    for (path, item) in paths {
        let concrete = path.replace("{job_id}", "0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6");
        for method in ["get", "post"] {
            if item.get(method).is_some() {
                let a = app.send(&method.to_uppercase(), &concrete, "{}", &[]).await;
                assert_ne!(
                    a.json["detail"].as_str(),
                    Some("no such endpoint; see /api/v1/openapi.json"),
                    "{method} {path}"
                );
            }
        }
    }
}
