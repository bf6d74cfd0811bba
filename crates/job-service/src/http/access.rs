// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The access log: one line per request at target `access`, level INFO, written when the
//! answer's headers leave (an event stream or a long poll is logged when it starts answering):
//! method and path (the span), status, duration in milliseconds, and the name of the token that
//! passed the bearer check (`-` for none). Query values are left out: a client may put anything
//! there, so only the parameter names are shown (`?sync&wait`). `RUST_LOG=access=warn,info`
//! turns it off, and then the span costs nothing.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, Uri};
use tower_http::classify::{ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::auth::Caller;

/// The longest path or list of parameter names logged; a hostile client sends up to the
/// header limit, and a log line is not the place to keep it.
const SHOWN_MAX: usize = 256;

pub type AccessLayer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request<Body>) -> Span,
    (),
    fn(&Response<Body>, Duration, &Span),
    (),
    (),
    fn(ServerErrorsFailureClass, Duration, &Span),
>;

pub fn layer() -> AccessLayer {
    TraceLayer::new_for_http()
        .make_span_with(span as fn(&Request<Body>) -> Span)
        .on_request(())
        .on_response(line as fn(&Response<Body>, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(failure as fn(ServerErrorsFailureClass, Duration, &Span))
}

fn span(req: &Request<Body>) -> Span {
    tracing::info_span!(target: "access", "request", method = %req.method(), path = %shown(req.uri()))
}

fn line(res: &Response<Body>, latency: Duration, _span: &Span) {
    let token = res
        .extensions()
        .get::<Caller>()
        .map_or("-", |c| c.name.as_str());
    tracing::info!(
        target: "access",
        status = res.status().as_u16(),
        ms = crate::metrics::rounded(latency.as_secs_f64() * 1000.0),
        token,
    );
}

/// A status of 5xx is in the access line already; only a body that broke off is news.
fn failure(class: ServerErrorsFailureClass, latency: Duration, _span: &Span) {
    if let ServerErrorsFailureClass::Error(error) = class {
        tracing::warn!(target: "access", error, ms = crate::metrics::rounded(latency.as_secs_f64() * 1000.0), "the answer broke off");
    }
}

/// The path, and the query's parameter names only: `/api/v1/jobs?sync&wait`.
fn shown(uri: &Uri) -> String {
    let mut out = cut(uri.path()).to_string();
    if let Some(query) = uri.query() {
        let names: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
            .collect();
        out.push('?');
        out.push_str(cut(&names.join("&")));
    }
    out
}

fn cut(s: &str) -> &str {
    if s.len() <= SHOWN_MAX {
        return s;
    }
    let mut end = SHOWN_MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_never_shown() {
        let uri: Uri = "/api/v1/jobs?sync=true&secret=hunter2&flag"
            .parse()
            .unwrap();
        assert_eq!(shown(&uri), "/api/v1/jobs?sync&secret&flag");
        let uri: Uri = "/healthz".parse().unwrap();
        assert_eq!(shown(&uri), "/healthz");
        let long: Uri = format!("/{}", "a".repeat(1000)).parse().unwrap();
        assert_eq!(shown(&long).len(), SHOWN_MAX);
    }
}
