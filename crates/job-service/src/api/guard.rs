// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What keeps a web page the operator opens from using the API. A page can make the browser send
//! requests to a loopback port: a `no-cors` POST of `text/plain`, a form, or, after DNS
//! rebinding, same-origin requests whose `Host` is the attacker's name. So, before any handler:
//! `Host` must name this service (421), a browser `Origin` must be the service's own or allowed
//! (403), and a request that can change state must say its body is JSON (415), which no page can
//! send to another origin without a CORS preflight that this service never grants.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::state::{AppState, Metrics};

/// A URL clients reach the service by (a DNS name, a proxy in front): its host is accepted in
/// `Host`, its origin in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    host: String,
    /// The port clients connect to: the URL's, or its scheme's default.
    port: u16,
    default_port: u16,
    origin: String,
}

impl PublicUrl {
    pub fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// `scheme://host[:port]` as a browser serializes it: lower case, no default port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(s: &str) -> Result<(Self, Uri), String> {
        let uri = Uri::from_str(s.trim()).map_err(|e| format!("{s:?}: {e}"))?;
        let scheme = match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http") => "http",
            Some("https") => "https",
            _ => return Err(format!("{s:?}: the scheme must be http or https")),
        };
        let authority = uri.authority().ok_or_else(|| format!("{s:?}: no host"))?;
        // A user name in the URL is never what a browser sends in `Origin` or `Host`.
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(format!("{s:?}: give scheme://host[:port]"));
        }
        let default = if scheme == "https" { 443 } else { 80 };
        let origin = Origin {
            scheme,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().filter(|p| *p != default),
        };
        Ok((origin, uri))
    }

    fn default_port(&self) -> u16 {
        if self.scheme == "https" {
            443
        } else {
            80
        }
    }

    fn serialize(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }
}

/// `--public-url`: `http(s)://host[:port][/path]`.
pub fn public_url(s: &str) -> Result<PublicUrl, String> {
    let (origin, uri) = Origin::parse(s)?;
    if uri.query().is_some() {
        return Err(format!("{s:?}: a public URL has no query"));
    }
    Ok(PublicUrl {
        port: origin.port.unwrap_or(origin.default_port()),
        default_port: origin.default_port(),
        origin: origin.serialize(),
        host: origin.host,
    })
}

/// `--allowed-origin`: exactly `http(s)://host[:port]`, as browsers send it; never `*` or `null`.
pub fn allowed_origin(s: &str) -> Result<String, String> {
    let (origin, uri) = Origin::parse(s)?;
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "{s:?}: an origin is scheme://host[:port], without a path"
        ));
    }
    Ok(origin.serialize())
}

/// Which `Host` and `Origin` values this service accepts.
#[derive(Debug, Clone)]
pub struct Policy {
    listen: SocketAddr,
    public: Vec<PublicUrl>,
    allowed: Vec<String>,
    /// The service speaks HTTPS itself (--tls-cert): its own origin is `https://`.
    tls: bool,
}

impl Policy {
    pub fn new(listen: SocketAddr, public: Vec<PublicUrl>, allowed: Vec<String>) -> Self {
        Self {
            listen,
            public,
            allowed,
            tls: false,
        }
    }

    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Whether `host[:port]` names this service. A DNS name is accepted only when it is
    /// `localhost` (with a loopback or any-address listen) or a `--public-url`'s: DNS rebinding
    /// always comes with the attacker's name. An IP address cannot be rebound, so on an
    /// any-address listen every address literal is accepted: the addresses of the machine's
    /// interfaces are all this service's.
    fn names_us(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        let public = self
            .public
            .iter()
            .any(|u| u.host == host && port.unwrap_or(u.default_port) == u.port);
        if public {
            return true;
        }
        // No port: a proxy on the same machine forwarded the client's `Host`.
        if port.is_some_and(|p| p != self.listen.port()) {
            return false;
        }
        let listen = self.listen.ip();
        match ip_literal(&host) {
            Some(ip) => {
                ip == listen
                    || listen.is_unspecified()
                    || (listen.is_loopback() && ip.is_loopback())
            }
            None => host == "localhost" && (listen.is_loopback() || listen.is_unspecified()),
        }
    }

    /// The page's origin is the service's own when it is the `http://` origin of the request's
    /// own (accepted) `Host`, or a `--public-url`'s; those need no CORS. Being one of the names
    /// the service answers to is not enough: on an any-address listen a page at
    /// `http://<attacker's address>:<the same port>` would pass.
    fn origin(&self, value: &str, host: Option<&Authority>) -> Allowed {
        let Ok((origin, uri)) = Origin::parse(value) else {
            return Allowed::No;
        };
        // Browsers send exactly scheme://host[:port]; anything more is not a browser's Origin.
        if !uri.path().is_empty() && uri.path() != "/" {
            return Allowed::No;
        }
        let text = origin.serialize();
        if self.allowed.contains(&text) {
            return Allowed::Cors(text);
        }
        let (scheme, default_port) = if self.tls {
            ("https", 443)
        } else {
            ("http", 80)
        };
        let own = host.is_some_and(|h| {
            origin.scheme == scheme
                && origin.host.eq_ignore_ascii_case(h.host())
                && origin.port.unwrap_or(default_port) == h.port_u16().unwrap_or(default_port)
        });
        if own || self.public.iter().any(|u| u.origin == text) {
            return Allowed::Same;
        }
        Allowed::No
    }

    /// What an operator reads at start: the names and origins accepted.
    pub fn describe(&self) -> String {
        let listen = self.listen.ip();
        let mut names = vec![];
        if listen.is_unspecified() {
            names.push(format!("any IP address:{}", self.listen.port()));
        } else {
            names.push(self.listen.to_string());
        }
        if listen.is_loopback() || listen.is_unspecified() {
            names.push(format!("localhost:{}", self.listen.port()));
        }
        names.extend(self.public.iter().map(|u| u.origin.clone()));
        let mut out = format!("Host accepted: {}", names.join(", "));
        if !self.allowed.is_empty() {
            out += &format!("; allowed origins: {}", self.allowed.join(", "));
        }
        out
    }
}

enum Allowed {
    No,
    /// The service's own origin: a same-origin request needs no CORS header.
    Same,
    /// An `--allowed-origin`: answered with CORS headers naming it.
    Cors(String),
}

fn ip_literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse().ok(),
        None => host.parse().ok(),
    }
}

/// Refusals by reason, for `/metrics`: they show that refused requests reached the service.
#[derive(Default)]
pub struct Refusals {
    pub host: AtomicU64,
    pub origin: AtomicU64,
    pub content_type: AtomicU64,
}

pub async fn check(State(state): State<super::ApiState>, req: Request, next: Next) -> Response {
    let refused = &state.app.metrics.http_refused;
    let policy = &state.config.policy;
    let headers = req.headers();
    // A health checker may know the service by a name of its own (a pod address, a load
    // balancer's); `/healthz` tells nothing and changes nothing, so any `Host` may ask it.
    let health = req.uri().path() == "/healthz" && req.method() == Method::GET;
    let named = match host(policy, req.uri(), headers) {
        Ok(a) => Some(a),
        Err(_) if health => None,
        Err(e) => {
            Metrics::add(&refused.host);
            tracing::warn!(host = ?headers.get(header::HOST), method = %req.method(), path = %req.uri().path(), "refused: {}", e.body.detail);
            return e.into_response();
        }
    };
    let cors = match headers.get(header::ORIGIN) {
        None => None,
        Some(value) => match value.to_str().map(|v| policy.origin(v, named.as_ref())) {
            Ok(Allowed::Same) => None,
            Ok(Allowed::Cors(origin)) => Some(origin),
            Ok(Allowed::No) | Err(_) => {
                Metrics::add(&refused.origin);
                tracing::warn!(origin = ?value, method = %req.method(), path = %req.uri().path(), "refused: a web page of another origin");
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "Origin {value:?} may not call this API: it is not the service's own \
                         (the operator allows one with --allowed-origin)"
                    ),
                )
                .into_response();
            }
        },
    };
    if let Some(origin) = &cors {
        if req.method() == Method::OPTIONS
            && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return preflight(origin);
        }
    }
    let mut resp = next.run(req).await;
    if let Some(origin) = cors {
        if let Ok(v) = HeaderValue::from_str(&origin) {
            resp.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            resp.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    resp
}

/// A POST must say its body is JSON, else 415: no web page can send that to another origin
/// without a CORS preflight, which this service grants only to an `--allowed-origin`. A layer of
/// each method router (`api::router`), outside the bearer check: a method that no route serves
/// reaches no handler and answers 405 with `Allow`, as the document's methods say; a 415 would
/// tell that client the wrong fix.
pub async fn json_posts(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    if req.method() == Method::POST && !json(headers) {
        Metrics::add(&state.metrics.http_refused.content_type);
        tracing::warn!(content_type = ?headers.get(header::CONTENT_TYPE), method = %req.method(), path = %req.uri().path(), "refused: not application/json");
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send `Content-Type: application/json` (with or without a body): \
             a request that can change something must be JSON",
        )
        .into_response();
    }
    next.run(req).await
}

/// The request's `Host`, when it names this service.
fn host(policy: &Policy, uri: &Uri, headers: &HeaderMap) -> Result<Authority, ApiError> {
    let mut all = headers.get_all(header::HOST).iter();
    let given = all
        .next()
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "a Host header is required"))?;
    // A proxy in front may read the other one (RFC 9112 says 400).
    if all.next().is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "more than one Host header",
        ));
    }
    let parsed = given
        .to_str()
        .ok()
        .and_then(|v| Authority::from_str(v).ok())
        .filter(|a| !a.as_str().contains('@'))
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "the Host header is malformed"))?;
    // An absolute request target (`POST http://name/...`) names the host too; both must be ours.
    for a in std::iter::once(&parsed).chain(uri.authority()) {
        if !policy.names_us(a.host(), a.port_u16()) {
            return Err(ApiError::new(
                StatusCode::MISDIRECTED_REQUEST,
                format!(
                    "Host {:?} does not name this service; a DNS name it is reached by must be \
                     given with --public-url",
                    a.as_str()
                ),
            ));
        }
    }
    Ok(parsed)
}

/// `application/json`, parameters (`charset=utf-8`) allowed.
fn json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

fn preflight(origin: &str) -> Response {
    let Ok(origin) = HeaderValue::from_str(origin) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, origin),
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(
                    "authorization, content-type, idempotency-key, last-event-id",
                ),
            ),
            (
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            ),
            (header::VARY, HeaderValue::from_static("Origin")),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use axum::body::{to_bytes, Body};
    use axum::http::Request;
    use axum::Router;
    use job_core::store::sqlite::SqliteStore;
    use job_core::{ListQuery, Project};
    use tower::ServiceExt;

    use super::*;
    use crate::state::Setup;

    struct App {
        router: Router,
        state: Arc<AppState>,
        _dir: tempfile::TempDir,
    }

    /// The real router on a real store; no workers, so an accepted POST stays pending.
    fn app(listen: &str, public: &[&str], allowed: &[&str]) -> App {
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
        let state = Arc::new(AppState::new(setup));
        let policy = Policy::new(
            listen.parse().unwrap(),
            public.iter().map(|u| public_url(u).unwrap()).collect(),
            allowed.iter().map(|o| allowed_origin(o).unwrap()).collect(),
        );
        App {
            router: crate::api::router(
                state.clone(),
                crate::api::ApiConfig::new(None, Duration::from_secs(1), policy),
            ),
            state,
            _dir: dir,
        }
    }

    impl App {
        async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
            let mut req = Request::builder().method(method).uri(path);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let body = if method == "POST" {
                Body::from(r#"{"playbook": "hello.yml"}"#)
            } else {
                Body::empty()
            };
            self.router
                .clone()
                .oneshot(req.body(body).unwrap())
                .await
                .unwrap()
        }

        async fn jobs(&self) -> usize {
            let q = ListQuery {
                status: None,
                name: None,
                limit: 500,
                cursor: None,
            };
            let page = self.state.store.list(q).await.unwrap();
            page.jobs.len()
        }
    }

    async fn detail(resp: Response) -> String {
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["detail"].as_str().unwrap().to_string()
    }

    const HOST: (&str, &str) = ("host", "127.0.0.1:8089");
    const JSON: (&str, &str) = ("content-type", "application/json");

    #[tokio::test]
    async fn posts_that_are_not_json_are_415_and_start_nothing() {
        let app = app("127.0.0.1:8089", &[], &[]);
        for ctype in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonp"),
            None,
        ] {
            let mut headers = vec![HOST];
            headers.extend(ctype.map(|c| ("content-type", c)));
            for path in [
                "/api/v1/jobs",
                "/api/v1/jobs/0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6/cancel",
            ] {
                let resp = app.call("POST", path, &headers).await;
                assert_eq!(
                    resp.status(),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "{ctype:?} {path}"
                );
                assert!(detail(resp).await.contains("application/json"));
            }
        }
        assert_eq!(app.jobs().await, 0);
        let r = &app.state.metrics.http_refused;
        assert_eq!(r.content_type.load(Ordering::Relaxed), 10);
        let ok = app
            .call(
                "POST",
                "/api/v1/jobs",
                &[HOST, ("content-type", "application/json; charset=utf-8")],
            )
            .await;
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        assert_eq!(app.jobs().await, 1);
    }

    /// Methods no route serves reach no handler: 405 with `Allow`, as the document's methods say
    /// (schemathesis's undeclared-method check), not a 415 telling the client to send JSON; a
    /// POST without JSON to a route that takes none too.
    #[tokio::test]
    async fn other_methods_are_405_and_change_nothing() {
        let app = app("127.0.0.1:8089", &[], &[]);
        for method in ["PUT", "DELETE", "PATCH", "TRACE", "POST"] {
            for (path, allow) in [
                ("/api/v1/jobs", "GET,HEAD,POST"),
                (
                    "/api/v1/jobs/0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6",
                    "GET,HEAD",
                ),
                (
                    "/api/v1/jobs/0193e7a1-2b3c-7d4e-8f90-a1b2c3d4e5f6/cancel",
                    "POST",
                ),
                ("/healthz", "GET,HEAD"),
                ("/metrics", "GET,HEAD"),
            ] {
                if method == "POST" && allow.contains("POST") {
                    continue;
                }
                let resp = app.call(method, path, &[HOST]).await;
                assert_eq!(
                    resp.status(),
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}"
                );
                let got = resp
                    .headers()
                    .get(header::ALLOW)
                    .and_then(|v| v.to_str().ok());
                let got: Option<String> = got.map(|v| {
                    let mut m: Vec<_> = v.split(',').map(str::trim).collect();
                    m.sort_unstable();
                    m.join(",")
                });
                assert_eq!(got.as_deref(), Some(allow), "{method} {path}");
            }
        }
        assert_eq!(app.jobs().await, 0);
    }

    #[tokio::test]
    async fn a_host_that_does_not_name_the_service_is_421_on_every_route() {
        let app = app("127.0.0.1:8089", &["https://jobs.example.test"], &[]);
        for host in [
            "rebind.evil.example",
            "rebind.evil.example:8089",
            "127.0.0.1:8090",
            "localhost:80",
            "jobs.example.test:8089",
            "10.0.0.1:8089",
        ] {
            for (method, path) in [
                ("GET", "/api/v1/jobs"),
                ("POST", "/api/v1/jobs"),
                ("GET", "/metrics"),
                ("GET", "/api/v1/openapi.json"),
                ("GET", "/nowhere"),
            ] {
                let resp = app.call(method, path, &[("host", host), JSON]).await;
                assert_eq!(
                    resp.status(),
                    StatusCode::MISDIRECTED_REQUEST,
                    "{host} {path}"
                );
            }
            let health = app.call("GET", "/healthz", &[("host", host)]).await;
            assert_eq!(health.status(), StatusCode::OK, "{host}");
        }
        let none = app.call("GET", "/api/v1/jobs", &[]).await;
        assert_eq!(none.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.jobs().await, 0);
        for host in [
            "127.0.0.1:8089",
            "localhost:8089",
            "localhost",
            "[::1]:8089",
            "jobs.example.test",
            "jobs.example.test:443",
        ] {
            let resp = app.call("GET", "/api/v1/jobs", &[("host", host)]).await;
            assert_eq!(resp.status(), StatusCode::OK, "{host}");
        }
    }

    #[tokio::test]
    async fn any_address_listen_takes_addresses_not_names() {
        let app = app("0.0.0.0:8089", &[], &[]);
        for (host, code) in [
            ("192.0.2.7:8089", StatusCode::OK),
            ("[2001:db8::1]:8089", StatusCode::OK),
            ("localhost:8089", StatusCode::OK),
            ("192.0.2.7:9000", StatusCode::MISDIRECTED_REQUEST),
            ("server.example:8089", StatusCode::MISDIRECTED_REQUEST),
        ] {
            let resp = app.call("GET", "/api/v1/jobs", &[("host", host)]).await;
            assert_eq!(resp.status(), code, "{host}");
        }
        // A page on another address at the same port is not the service's origin.
        let resp = app
            .call(
                "GET",
                "/api/v1/jobs",
                &[
                    ("host", "192.0.2.7:8089"),
                    ("origin", "http://198.51.100.9:8089"),
                ],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }

    #[tokio::test]
    async fn another_origin_is_403_and_only_allowed_ones_get_cors() {
        let app = app("127.0.0.1:8089", &[], &["http://ui.example.test:3000"]);
        for origin in [
            "http://127.0.0.2:5555",
            "http://localhost:8089",
            "null",
            "http://ui.example.test",
            "https://127.0.0.1:8089",
        ] {
            for (method, path) in [
                ("GET", "/api/v1/jobs"),
                ("POST", "/api/v1/jobs"),
                ("GET", "/healthz"),
            ] {
                let resp = app
                    .call(method, path, &[HOST, JSON, ("origin", origin)])
                    .await;
                assert_eq!(
                    resp.status(),
                    StatusCode::FORBIDDEN,
                    "{origin} {method} {path}"
                );
                assert!(!resp
                    .headers()
                    .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
            }
        }
        assert_eq!(app.jobs().await, 0);
        let own = app
            .call(
                "GET",
                "/api/v1/jobs",
                &[HOST, ("origin", "http://127.0.0.1:8089")],
            )
            .await;
        assert_eq!(own.status(), StatusCode::OK);
        assert!(!own
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
        let pre = app
            .call(
                "OPTIONS",
                "/api/v1/jobs",
                &[
                    HOST,
                    ("origin", "http://ui.example.test:3000"),
                    ("access-control-request-method", "POST"),
                ],
            )
            .await;
        assert_eq!(pre.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            pre.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://ui.example.test:3000"
        );
        let post = app
            .call(
                "POST",
                "/api/v1/jobs",
                &[HOST, JSON, ("origin", "http://ui.example.test:3000")],
            )
            .await;
        assert_eq!(post.status(), StatusCode::ACCEPTED);
        assert_eq!(
            post.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "http://ui.example.test:3000"
        );
    }

    #[test]
    fn flags() {
        assert_eq!(
            allowed_origin("HTTP://UI.example.test:80/").as_deref(),
            Ok("http://ui.example.test")
        );
        for bad in [
            "*",
            "null",
            "http://a/x",
            "ftp://a",
            "http://u@a",
            "a.example",
        ] {
            assert!(allowed_origin(bad).is_err(), "{bad}");
        }
        assert!(public_url("https://jobs.example.test/ansible").is_ok());
        assert!(public_url("jobs.example.test").is_err());
    }
}
