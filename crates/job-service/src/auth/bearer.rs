// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The bearer check of every route but `/healthz`: which token the request carries (401 when
//! none is valid), whether its scope allows the call (403 naming the scope needed), and the
//! [`Caller`] for the handler (in the request's extensions) and the access log (in the
//! response's).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::tokens::ANONYMOUS;
use super::{Caller, Scope};
use crate::api::error::ApiError;
use crate::api::ApiConfig;

/// The scope a call needs: reading (`GET`, `HEAD`) needs `read`, anything else (`POST` of a job,
/// a cancel) `submit`; a route may ask more (`min`: an admin-only route layers this with
/// `Scope::Admin`). The document states the same per operation (`api::ops`).
pub fn needed(method: &Method, min: Scope) -> Scope {
    let by_method = if matches!(*method, Method::GET | Method::HEAD) {
        Scope::Read
    } else {
        Scope::Submit
    };
    by_method.max(min)
}

/// The middleware; its state is the app and the least scope of the route it guards.
pub async fn check(
    State((config, min)): State<(Arc<ApiConfig>, Scope)>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match &config.tokens {
        // --no-token: the operator's choice, on loopback only.
        None => Caller {
            name: ANONYMOUS.into(),
            scope: Scope::Admin,
        },
        Some(tokens) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer_credentials)
                .map(str::as_bytes)
                .unwrap_or_default();
            match tokens.current().find(given) {
                Some(c) => c,
                None => return ApiError::unauthorized().into_response(),
            }
        }
    };
    let need = needed(req.method(), min);
    if caller.scope < need {
        let mut resp = ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the token {:?} has the scope {}; {} {} needs the scope {} or above: use a token with it (see --tokens-file)",
                caller.name,
                caller.scope.as_str(),
                req.method(),
                req.uri().path(),
                need.as_str()
            ),
        )
        .into_response();
        resp.extensions_mut().insert(caller);
        return resp;
    }
    req.extensions_mut().insert(caller.clone());
    let mut resp = next.run(req).await;
    resp.extensions_mut().insert(caller);
    resp
}

/// The credentials of `Bearer <token>`; the scheme is case-insensitive (RFC 9110 11.1), so
/// `bearer x` is the same.
fn bearer_credentials(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim_start_matches(' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer tok", "bearer tok", "BEARER tok", "bEaReR  tok"] {
            assert_eq!(bearer_credentials(v), Some("tok"), "{v}");
        }
        for v in ["Basic tok", "Bearertok", "Bearer", "tok"] {
            assert_eq!(bearer_credentials(v), None, "{v}");
        }
    }

    #[test]
    fn reading_needs_read_the_rest_submit_and_a_route_may_ask_more() {
        assert_eq!(needed(&Method::GET, Scope::Read), Scope::Read);
        assert_eq!(needed(&Method::HEAD, Scope::Read), Scope::Read);
        assert_eq!(needed(&Method::POST, Scope::Read), Scope::Submit);
        assert_eq!(needed(&Method::DELETE, Scope::Read), Scope::Submit);
        assert_eq!(needed(&Method::GET, Scope::Admin), Scope::Admin);
    }

    /// The real router with a tokens file: the handler and the access log both see the caller.
    #[tokio::test]
    async fn the_caller_is_in_the_response_and_a_read_token_cannot_post() {
        use std::os::unix::fs::PermissionsExt;
        use std::time::Duration;

        use axum::body::Body;
        use job_core::store::sqlite::SqliteStore;
        use job_core::Project;
        use tower::ServiceExt;

        use crate::auth::tokens::{Sources, Tokens};
        use crate::state::Setup;

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.yml"), "- hosts: all\n  tasks: []\n").unwrap();
        let tf = dir.path().join("tokens");
        std::fs::write(
            &tf,
            "mon read rrrrrrrrrrrrrrrrrrrr\nci submit ssssssssssssssssssss\n",
        )
        .unwrap();
        std::fs::set_permissions(&tf, std::fs::Permissions::from_mode(0o600)).unwrap();
        let tokens = Tokens::load(Sources {
            single: None,
            file: Some(tf),
        })
        .unwrap();
        let setup = Setup {
            store: Arc::new(SqliteStore::open(&dir.path().join("jobs.sqlite3"), 1 << 20).unwrap()),
            project: Project::open(dir.path()).unwrap(),
            data_dir: dir.path().to_path_buf(),
            ansible_playbook: "/bin/false".into(),
            allow_templates_in_extra_vars: false,
            grace: Duration::from_secs(1),
            event_line_max: job_runner::MAX_EVENT_LINE,
            child_open_files: None,
        };
        let state = Arc::new(crate::state::AppState::new(setup));
        let policy =
            crate::api::guard::Policy::new("127.0.0.1:8089".parse().unwrap(), vec![], vec![]);
        let config =
            crate::api::ApiConfig::new(Some(Arc::new(tokens)), Duration::from_secs(1), policy);
        let router = crate::api::router(state, config);
        let call = |method: &str, token: &str| {
            let req = axum::http::Request::builder()
                .method(method)
                .uri("/api/v1/jobs")
                .header("host", "127.0.0.1:8089")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::from(r#"{"playbook": "hello.yml"}"#))
                .unwrap();
            router.clone().oneshot(req)
        };
        let who = |r: &Response| r.extensions().get::<Caller>().cloned();
        let r = call("GET", "rrrrrrrrrrrrrrrrrrrr").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            who(&r),
            Some(Caller {
                name: "mon".into(),
                scope: Scope::Read
            })
        );
        let r = call("POST", "rrrrrrrrrrrrrrrrrrrr").await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(who(&r).map(|c| c.name), Some("mon".into()));
        let r = call("POST", "ssssssssssssssssssss").await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        assert_eq!(who(&r).map(|c| c.scope), Some(Scope::Submit));
        let r = call("GET", "nope").await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(who(&r), None);
    }
}
