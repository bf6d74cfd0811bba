// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Health, metrics and the OpenAPI document.

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
        (status = 200, description = "OpenMetrics text (Prometheus scrapes it): this process's counters, gauges and histograms, and the store's jobs by status", content_type = "application/openmetrics-text", body = String),
        (status = 401, description = "No valid token (metrics are behind the token, like the API)", body = super::view::ErrorBody),
    ))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let counts = state.store.counts().await?;
    let text = state.metrics.encode(&counts).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the metrics: {e}"),
        )
    })?;
    let ct = HeaderValue::from_static(crate::metrics::CONTENT_TYPE);
    Ok(([(header::CONTENT_TYPE, ct)], text).into_response())
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
