// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The HTTP API: routes, the checks against web pages (`guard`), the bearer check, limits.
//!
//! Each route is registered once, in [`routes`], with its OpenAPI path: the router and the
//! document come from the same list.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::middleware;
use axum::response::IntoResponse;
use axum::Router;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::auth::{self, Scope};
use crate::state::AppState;

pub mod error;
pub mod events;
pub mod extract;
pub mod guard;
pub mod jobs;
pub mod ops;
pub mod secret_vars;
pub mod view;

/// The API's own settings: who may call, how long a request may take or hold.
pub struct ApiConfig {
    /// The bearer tokens, when one is required (`None`: `--no-token`).
    pub tokens: Option<Arc<crate::auth::tokens::Tokens>>,
    /// Extra var names whose values no answer shows (`--secret-var`).
    pub secret_vars: secret_vars::SecretVars,
    /// The longest `?wait` or `?sync=true` (`--sync-max`).
    pub sync_max: Duration,
    /// A request body must have arrived whole within this (`--body-timeout`).
    pub body_timeout: Duration,
    /// Requests held open at once (`?wait`, `?sync`, event streams): their own cap, below the
    /// connection cap, so that they cannot take every connection.
    long_polls: Arc<Semaphore>,
    /// Which `Host` and `Origin` a request may carry.
    pub policy: guard::Policy,
}

/// `serve` sets the cap from its flags; this is for tests.
const DEFAULT_LONG_POLLS: usize = 64;
const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

impl ApiConfig {
    pub fn new(
        tokens: Option<Arc<crate::auth::tokens::Tokens>>,
        sync_max: Duration,
        policy: guard::Policy,
    ) -> Self {
        Self {
            tokens,
            secret_vars: secret_vars::SecretVars::default(),
            sync_max,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            long_polls: Arc::new(Semaphore::new(DEFAULT_LONG_POLLS)),
            policy,
        }
    }

    pub fn with_long_polls(mut self, n: usize) -> Self {
        self.long_polls = Arc::new(Semaphore::new(n));
        self
    }

    pub fn with_secret_vars(mut self, v: secret_vars::SecretVars) -> Self {
        self.secret_vars = v;
        self
    }

    pub fn with_body_timeout(mut self, d: Duration) -> Self {
        self.body_timeout = d;
        self
    }

    /// A slot for a request that will be held open; none when every slot is taken.
    pub fn hold(&self) -> Option<OwnedSemaphorePermit> {
        self.long_polls.clone().try_acquire_owned().ok()
    }
}

/// The router's state: what the handlers share with the workers, and the API's settings.
/// Handlers take either part (`State<Arc<AppState>>`, `State<Arc<ApiConfig>>`).
#[derive(Clone)]
pub struct ApiState {
    pub app: Arc<AppState>,
    pub config: Arc<ApiConfig>,
}

impl FromRef<ApiState> for Arc<AppState> {
    fn from_ref(s: &ApiState) -> Self {
        s.app.clone()
    }
}

impl FromRef<ApiState> for Arc<ApiConfig> {
    fn from_ref(s: &ApiState) -> Self {
        s.config.clone()
    }
}

type Routes = UtoipaMethodRouter<ApiState>;

/// Every route, each once with its OpenAPI path. `guarded` wraps those behind the bearer check;
/// to add an endpoint, add its handler here (CONTRIBUTING.md, "Add an endpoint").
fn routes(guarded: impl Fn(Routes) -> Routes) -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ops::ApiDoc::openapi())
        .routes(guarded(routes!(jobs::submit, jobs::list_jobs)))
        .routes(guarded(routes!(jobs::get_job)))
        .routes(guarded(routes!(jobs::cancel)))
        .routes(guarded(routes!(jobs::stdout)))
        .routes(guarded(routes!(events::events)))
        .routes(guarded(routes!(ops::openapi_json)))
        .routes(guarded(routes!(ops::metrics)))
        .routes(routes!(ops::healthz))
}

/// The OpenAPI document, as the router serves it (`GET /api/v1/openapi.json`).
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = routes(|r| r).split_for_parts();
    ops::finish(&mut doc);
    doc
}

pub fn router(app: Arc<AppState>, config: ApiConfig) -> Router {
    let state = ApiState {
        app,
        config: Arc::new(config),
    };
    // Per method router, not per Router: a Router's route_layer also wraps the 405 a method no
    // route serves gets, which must stay a 405 (with `Allow`) whatever the body or the token.
    // The JSON check runs first (the later layer is the outer one): no web page's POST reaches
    // even the bearer check.
    let guarded = |(schemas, paths, methods): Routes| -> Routes {
        let methods = methods
            .route_layer(middleware::from_fn_with_state(
                (state.config.clone(), Scope::Read),
                auth::bearer::check,
            ))
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                guard::json_posts,
            ));
        (schemas, paths, methods)
    };
    let (api, _) = routes(guarded).split_for_parts();
    api.fallback(|| async {
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
    .layer(middleware::from_fn_with_state(state.clone(), guard::check))
    // Outermost: refusals of the guard get their access line too.
    .layer(crate::http::access::layer())
    .with_state(state)
}
