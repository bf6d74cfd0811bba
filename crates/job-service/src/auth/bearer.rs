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
use crate::state::AppState;

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
    State((state, min)): State<(Arc<AppState>, Scope)>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = match &state.tokens {
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
}
