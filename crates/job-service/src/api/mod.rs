// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The HTTP API: routes, the checks against web pages (`guard`), the bearer check, limits.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use subtle::ConstantTimeEq;
use tower_http::catch_panic::CatchPanicLayer;

use crate::state::AppState;

pub mod error;
pub mod events;
pub mod guard;
pub mod jobs;
pub mod ops;
pub mod view;

pub fn router(state: Arc<AppState>, policy: guard::Policy) -> Router {
    // Per method router, not per Router: a Router's route_layer also wraps the 405 a method no
    // route serves gets, which must stay a 405 (with `Allow`) whatever the body or the token.
    // The JSON check runs first (the later layer is the outer one): no web page's POST reaches
    // even the bearer check.
    let guarded = |routes: MethodRouter<Arc<AppState>>| {
        routes
            .route_layer(middleware::from_fn_with_state(state.clone(), bearer))
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                guard::json_posts,
            ))
    };
    let api = Router::new()
        .route(
            "/api/v1/jobs",
            guarded(post(jobs::submit).get(jobs::list_jobs)),
        )
        .route("/api/v1/jobs/{job_id}", guarded(get(jobs::get_job)))
        .route("/api/v1/jobs/{job_id}/cancel", guarded(post(jobs::cancel)))
        .route("/api/v1/jobs/{job_id}/stdout", guarded(get(jobs::stdout)))
        .route("/api/v1/jobs/{job_id}/events", guarded(get(events::events)))
        .route("/api/v1/openapi.json", guarded(get(ops::openapi_json)))
        .route("/metrics", guarded(get(ops::metrics)));
    Router::new()
        .merge(api)
        .route("/healthz", get(ops::healthz))
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "no such endpoint; see /api/v1/openapi.json",
            )
        })
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the service log",
            )
            .into_response()
        }))
        // Outermost but for the panic catcher: no handler, not even the bearer check, sees a
        // request a web page could have made.
        .layer(middleware::from_fn_with_state(
            (state.clone(), Arc::new(policy)),
            guard::check,
        ))
        // Outermost: refusals of the guard get their access line too.
        .layer(crate::http::access::layer())
        .with_state(state)
}

async fn bearer(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(token) = &state.token {
        let given = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_credentials)
            .map(str::as_bytes)
            .unwrap_or_default();
        if !bool::from(given.ct_eq(token.as_slice())) {
            return error::ApiError::unauthorized().into_response();
        }
        // One token today, so one name; the tokens file gives each its own (issue 21).
        let caller = crate::auth::Caller {
            name: "token".into(),
            scope: crate::auth::Scope::Admin,
        };
        let mut req = req;
        req.extensions_mut().insert(caller.clone());
        let mut res = next.run(req).await;
        res.extensions_mut().insert(caller);
        return res;
    }
    next.run(req).await
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
    use super::bearer_credentials;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer tok", "bearer tok", "BEARER tok", "bEaReR  tok"] {
            assert_eq!(bearer_credentials(v), Some("tok"), "{v}");
        }
        for v in ["Basic tok", "Bearertok", "Bearer", "tok"] {
            assert_eq!(bearer_credentials(v), None, "{v}");
        }
    }
}
