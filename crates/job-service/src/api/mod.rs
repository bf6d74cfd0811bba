// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The HTTP API: routes, the checks against web pages (`guard`), the bearer check, limits.

use std::sync::Arc;

use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::{self, Scope};
use crate::state::AppState;

pub mod error;
pub mod events;
pub mod guard;
pub mod jobs;
pub mod ops;
pub mod secret_vars;
pub mod view;

pub fn router(state: Arc<AppState>, policy: guard::Policy) -> Router {
    // Per method router, not per Router: a Router's route_layer also wraps the 405 a method no
    // route serves gets, which must stay a 405 (with `Allow`) whatever the body or the token.
    // The JSON check runs first (the later layer is the outer one): no web page's POST reaches
    // even the bearer check.
    let guarded = |routes: MethodRouter<Arc<AppState>>| {
        routes
            .route_layer(middleware::from_fn_with_state(
                (state.clone(), Scope::Read),
                auth::bearer::check,
            ))
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
        .with_state(state)
}
