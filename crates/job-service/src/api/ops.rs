// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Health, metrics and the OpenAPI document.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::OpenApi;

use super::error::ApiError;
use super::view::Health;
use crate::state::AppState;

#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The service answers and its store too", body = Health)))]
pub async fn healthz(State(state): State<Arc<AppState>>) -> Result<Json<Health>, ApiError> {
    state.store.counts().await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

#[utoipa::path(get, path = "/metrics", tag = "service",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, description = "No valid token (metrics are behind the token, like the API)", body = super::view::ErrorBody),
    ))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let counts = state.store.counts().await?;
    let m = &state.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP ajs_jobs Jobs in the store, by status.\n# TYPE ajs_jobs gauge"
    );
    for (status, n) in counts {
        let _ = writeln!(out, "ajs_jobs{{status=\"{}\"}} {n}", status.as_str());
    }
    let counters = [
        ("ajs_submitted_total", "Jobs created by POST.", &m.submitted),
        (
            "ajs_attached_total",
            "POSTs answered with the name's job.",
            &m.attached,
        ),
        (
            "ajs_conflicts_total",
            "POSTs refused: the name is held with another payload.",
            &m.conflicts,
        ),
        ("ajs_refused_total", "POSTs refused with a 4xx.", &m.refused),
        (
            "ajs_runs_started_total",
            "Runs started by this process's workers.",
            &m.started,
        ),
        (
            "ajs_events_dropped_total",
            "Event lines of this process's runs not kept: longer than --event-line-max, or not a JSON object.",
            &m.events_dropped,
        ),
    ];
    for (name, help, c) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            c.load(Ordering::Relaxed)
        );
    }
    let r = &m.http_refused;
    let _ = writeln!(
        out,
        "# HELP ajs_http_refused_total Requests refused before any handler: a Host that does not name the service, another web origin, a POST that is not JSON.\n# TYPE ajs_http_refused_total counter"
    );
    for (reason, c) in [
        ("host", &r.host),
        ("origin", &r.origin),
        ("content_type", &r.content_type),
    ] {
        let _ = writeln!(
            out,
            "ajs_http_refused_total{{reason=\"{reason}\"}} {}",
            c.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP ajs_runs_active Runs in progress in this process.\n# TYPE ajs_runs_active gauge\najs_runs_active {}",
        m.running.load(Ordering::Relaxed)
    );
    let ct = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, ct)], out).into_response())
}

/// The document's head; its paths come from the router (`super::routes`).
#[derive(OpenApi)]
#[openapi(info(
    title = "ansible-job-service",
    description = "Runs Ansible playbooks as jobs."
))]
pub struct ApiDoc;

/// What every operation shares, added once its paths are in: the bearer check, the guard's
/// refusals, a store that is away, parameters left out rather than `null`.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::Modify;
    for m in [&Bearer as &dyn Modify, &StoreDown, &Guarded, &ParamsNotNull] {
        m.modify(doc);
    }
}

/// A response whose body is the service's JSON error (`ErrorBody`), for the codes the
/// document's modifiers add to every operation.
fn error_response(description: &str) -> utoipa::openapi::ResponseBuilder {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    )
}

/// Every call reads or writes the store: while Redis is away any of them may answer 503.
struct StoreDown;

impl utoipa::Modify for StoreDown {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        let down = error_response(
            "The store (Redis) is unavailable for the moment; retry (`Retry-After`)",
        )
        .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            if path == "/api/v1/openapi.json" {
                continue;
            }
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                op.responses
                    .responses
                    .entry("503".to_string())
                    .or_insert_with(|| RefOr::T(down.clone()));
            }
        }
    }
}

/// `guard::check` answers before any handler, on every route: its codes are every path's.
struct Guarded;

impl utoipa::Modify for Guarded {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        let refusal = |description: &str| RefOr::T(error_response(description).build());
        for (path, item) in doc.paths.paths.iter_mut() {
            let gets = item.get.iter_mut().map(|op| (op, false));
            let posts = item.post.iter_mut().map(|op| (op, true));
            for (op, post) in gets.chain(posts) {
                let codes = &mut op.responses.responses;
                codes.entry("403".to_string()).or_insert_with(|| {
                    refusal("An `Origin` other than the service's own or an `--allowed-origin`")
                });
                if path != "/healthz" {
                    codes
                        .entry("400".to_string())
                        .or_insert_with(|| refusal("No `Host`, or a malformed one"));
                    codes.entry("421".to_string()).or_insert_with(|| {
                        refusal("`Host` does not name the service (see `--public-url`)")
                    });
                }
                if post {
                    codes
                        .entry("415".to_string())
                        .or_insert_with(|| refusal("No `Content-Type: application/json`"));
                }
            }
        }
    }
}

/// The bearer check (`super::bearer`) guards every route but `/healthz`: the document says so
/// per operation, with its 401, so a client (and schemathesis's ignored-auth check) knows which.
struct Bearer;

/// A query or header parameter is left out by not sending it: its schema never says `null`
/// (utoipa writes `Option<T>` as `[T, "null"]`, and `?wait=null` would be a 422).
struct ParamsNotNull;

impl utoipa::Modify for ParamsNotNull {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{SchemaType, Type};
        use utoipa::openapi::{RefOr, Schema};
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                for p in op.parameters.iter_mut().flatten() {
                    if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                        if let SchemaType::Array(types) = &o.schema_type {
                            let rest: Vec<Type> = types
                                .iter()
                                .filter(|t| **t != Type::Null)
                                .cloned()
                                .collect();
                            if let [only] = rest.as_slice() {
                                o.schema_type = SchemaType::Type(only.clone());
                            }
                        }
                    }
                }
            }
        }
    }
}

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        use utoipa::openapi::RefOr;
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        let unauthorized = error_response("No valid token (`Authorization: Bearer <token>`)")
            .header(
                "WWW-Authenticate",
                utoipa::openapi::HeaderBuilder::new()
                    .schema(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::Type::String),
                    )
                    .build(),
            )
            .build();
        for (path, item) in doc.paths.paths.iter_mut() {
            let gets = item.get.iter_mut().map(|op| (op, axum::http::Method::GET));
            let posts = item
                .post
                .iter_mut()
                .map(|op| (op, axum::http::Method::POST));
            for (op, method) in gets.chain(posts) {
                if path == "/healthz" {
                    op.security = Some(vec![]);
                    continue;
                }
                // The scope this call needs, by the rule the bearer check applies.
                let scope = crate::auth::bearer::needed(&method, crate::auth::Scope::Read);
                let forbidden = error_response(&format!(
                    "An `Origin` other than the service's own or an `--allowed-origin`; or a token \
                     whose scope does not allow this call: it needs `{}` (or above)",
                    scope.as_str()
                ))
                .build();
                op.responses
                    .responses
                    .insert("403".to_string(), RefOr::T(forbidden));
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                op.responses
                    .responses
                    .insert("401".to_string(), RefOr::T(unauthorized.clone()));
            }
        }
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    super::document()
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses(
        (status = 200, description = "This document", content_type = "application/json", body = Object),
        (status = 401, description = "No valid token", body = super::view::ErrorBody),
    ))]
pub async fn openapi_json() -> Response {
    Json(document()).into_response()
}
