// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Object Storage over HTTPS: signed requests, retries within a time limit, and the operations
//! the job-record backend uses.

use crate::config::Profile;
use crate::error::OciError;
use crate::key::SigningKey;
use crate::region::object_storage_endpoint;
use crate::sign::{http_date, sign, BodyHeaders, RequestParts};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::blocking::Client as Http;
use reqwest::Method;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::{Duration, Instant};

/// Object names and query values are encoded with nothing safe but the unreserved characters,
/// as the SDKs do: `host1/site.yml/42.json` -> `host1%2Fsite.yml%2F42.json`.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const MAX_ATTEMPTS: u32 = 8;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const PER_TRY_TIMEOUT: Duration = Duration::from_secs(30);

/// Percent-encodes one path segment (namespace, bucket or object name) for a request path.
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// An object as read by [`Client::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its content.
    pub body: Vec<u8>,
    /// Its version, for a later `if-match` write or delete.
    pub etag: String,
}

/// Conditions of a write, for create-only claims and compare-and-swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditional {
    /// Unconditional: last writer wins.
    Always,
    /// `if-none-match: *`: only if no object has the name.
    IfNoneMatch,
    /// `if-match: <etag>`: only if the object is still that version.
    IfMatch(String),
}

/// What a [`Client::put`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object is ours.
    Written {
        /// The new version.
        etag: String,
    },
    /// The condition did not hold (412): someone else's object is there.
    PreconditionFailed,
}

struct Reply {
    status: u16,
    etag: String,
    request_id: String,
    body: Vec<u8>,
    attempts: u32,
}

/// An Object Storage client for one endpoint and one signing key. Every call retries throttling
/// (429) and server errors (5xx) with backoff until the client's time limit runs out.
pub struct Client {
    http: Http,
    base: String,
    host: String,
    key: SigningKey,
    key_id: String,
    time_limit: Duration,
}

impl Client {
    /// A client for a config profile. `endpoint` overrides the region's (private endpoints, tests).
    pub fn from_profile(
        profile: &Profile,
        endpoint: Option<&str>,
        time_limit: Duration,
    ) -> Result<Client, OciError> {
        let key = SigningKey::from_file(&profile.key_file, profile.pass_phrase.as_deref())?;
        let key_id = match &profile.security_token_file {
            Some(file) => {
                let token = std::fs::read_to_string(file).map_err(|e| {
                    OciError::Config(format!(
                        "cannot read security_token_file {}: {e}",
                        file.display()
                    ))
                })?;
                format!("ST${}", token.trim())
            }
            None => {
                let actual = key.fingerprint()?;
                if let Some(configured) = &profile.fingerprint {
                    if !configured.eq_ignore_ascii_case(&actual) {
                        return Err(OciError::Key(format!(
                            "fingerprint mismatch: profile '{}' in {} says {configured}, but the key {} has {actual}",
                            profile.name,
                            profile.file.display(),
                            profile.key_file.display()
                        )));
                    }
                }
                format!(
                    "{}/{}/{}",
                    profile.tenancy,
                    profile.user.clone().unwrap_or_default(),
                    actual
                )
            }
        };
        // As the OCI CLI: --endpoint, then OCI_CLI_ENDPOINT; --region, then OCI_CLI_REGION, then the profile.
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let endpoint = endpoint
            .map(str::to_string)
            .or_else(|| from_env("OCI_CLI_ENDPOINT"))
            .map(Ok)
            .unwrap_or_else(|| {
                object_storage_endpoint(
                    &from_env("OCI_CLI_REGION").unwrap_or_else(|| profile.region.clone()),
                )
            })?;
        Client::new(&endpoint, key, key_id, time_limit)
    }

    /// A client for an explicit endpoint (`https://host[:port]`) and key. `key_id` is what the
    /// signature names: `<tenancy>/<user>/<fingerprint>`, or `ST$<token>` for a session token.
    pub fn new(
        endpoint: &str,
        key: SigningKey,
        key_id: String,
        time_limit: Duration,
    ) -> Result<Client, OciError> {
        let (base, host) = check_endpoint(endpoint)?;
        // reqwest is built without a default TLS provider; ring is ours (see docs/design.md).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Http::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OciError::Config(format!("cannot set up HTTPS: {e}")))?;
        Ok(Client {
            http,
            base,
            host,
            key,
            key_id,
            time_limit,
        })
    }

    fn object_path(ns: &str, bucket: &str, name: &str) -> String {
        format!("/n/{}/b/{}/o/{}", encode(ns), encode(bucket), encode(name))
    }

    /// GetNamespace: the tenancy's Object Storage namespace.
    pub fn namespace(&self) -> Result<String, OciError> {
        let r = self.send(
            "GET namespace",
            Method::GET,
            "/n",
            &[],
            BodyHeaders::Exclude,
            &[],
        )?;
        let r = self.expect_ok("GET namespace", r)?;
        serde_json::from_slice::<String>(&r.body)
            .map_err(|e| OciError::Config(format!("unexpected namespace answer ({e})")))
    }

    /// GetObject; `Ok(None)` only for a real 404.
    pub fn get(&self, ns: &str, bucket: &str, name: &str) -> Result<Option<Object>, OciError> {
        let op = format!("GET {bucket}/{name}");
        let r = self.send_object(&op, Method::GET, (ns, bucket, name), &[], &[])?;
        if r.status == 404 {
            return self.not_found_or_error(&op, r).map(|()| None);
        }
        let r = self.expect_ok(&op, r)?;
        Ok(Some(Object {
            body: r.body,
            etag: r.etag,
        }))
    }

    /// HeadObject: the object's ETag, `Ok(None)` for a 404.
    pub fn head(&self, ns: &str, bucket: &str, name: &str) -> Result<Option<String>, OciError> {
        let op = format!("HEAD {bucket}/{name}");
        let r = self.send_object(&op, Method::HEAD, (ns, bucket, name), &[], &[])?;
        if r.status == 404 {
            return Ok(None);
        }
        Ok(Some(self.expect_ok(&op, r)?.etag))
    }

    /// PutObject, optionally conditional.
    pub fn put(
        &self,
        ns: &str,
        bucket: &str,
        name: &str,
        body: &[u8],
        cond: &Conditional,
    ) -> Result<PutOutcome, OciError> {
        let op = format!("PUT {bucket}/{name}");
        let mut extra: Vec<(&str, String)> = vec![("content-type", "application/json".into())];
        match cond {
            Conditional::Always => {}
            Conditional::IfNoneMatch => extra.push(("if-none-match", "*".into())),
            Conditional::IfMatch(etag) => extra.push(("if-match", etag.clone())),
        }
        let r = self.send_object(&op, Method::PUT, (ns, bucket, name), body, &extra)?;
        if r.status == 412 {
            // A retried conditional write can fail on its own first attempt, which did land:
            // read the object back to tell our write from a competitor's.
            if r.attempts > 1 {
                if let Some(obj) = self.get(ns, bucket, name)? {
                    if obj.body == body {
                        return Ok(PutOutcome::Written { etag: obj.etag });
                    }
                }
            }
            return Ok(PutOutcome::PreconditionFailed);
        }
        let r = self.expect_ok(&op, r)?;
        Ok(PutOutcome::Written { etag: r.etag })
    }

    /// DeleteObject; returns whether an object was there. With `if_match`, 412 is an error.
    pub fn delete(
        &self,
        ns: &str,
        bucket: &str,
        name: &str,
        if_match: Option<&str>,
    ) -> Result<bool, OciError> {
        let op = format!("DELETE {bucket}/{name}");
        let extra: Vec<(&str, String)> = if_match
            .map(|e| vec![("if-match", e.to_string())])
            .unwrap_or_default();
        let r = self.send_object(&op, Method::DELETE, (ns, bucket, name), &[], &extra)?;
        if r.status == 404 {
            // After a retry, our own first attempt may have deleted it.
            return if r.attempts > 1 {
                Ok(true)
            } else {
                self.not_found_or_error(&op, r).map(|()| false)
            };
        }
        self.expect_ok(&op, r)?;
        Ok(true)
    }

    /// ListObjects, every page: the names under a prefix.
    pub fn list(&self, ns: &str, bucket: &str, prefix: &str) -> Result<Vec<String>, OciError> {
        let op = format!("LIST {bucket}/{prefix}");
        let mut names = Vec::new();
        let mut start: Option<String> = None;
        loop {
            let mut query = format!("prefix={}&limit=1000&fields=name", encode(prefix));
            if let Some(s) = &start {
                query.push_str(&format!("&start={}", encode(s)));
            }
            let path = format!("/n/{}/b/{}/o?{query}", encode(ns), encode(bucket));
            let r = self.send(&op, Method::GET, &path, &[], BodyHeaders::Exclude, &[])?;
            let r = self.expect_ok(&op, r)?;
            let page: serde_json::Value =
                serde_json::from_slice(&r.body).map_err(|e| OciError::Transport {
                    operation: op.clone(),
                    detail: format!("unexpected answer ({e})"),
                })?;
            for o in page["objects"].as_array().into_iter().flatten() {
                if let Some(n) = o["name"].as_str() {
                    names.push(n.to_string());
                }
            }
            match page["nextStartWith"].as_str() {
                Some(next) if !next.is_empty() => start = Some(next.to_string()),
                _ => return Ok(names),
            }
        }
    }

    fn expect_ok(&self, op: &str, r: Reply) -> Result<Reply, OciError> {
        if (200..300).contains(&r.status) {
            Ok(r)
        } else {
            Err(service_error(op, &r))
        }
    }

    /// 404 means "not found" only when the object is missing, not the bucket or namespace.
    fn not_found_or_error(&self, op: &str, r: Reply) -> Result<(), OciError> {
        match service_error(op, &r) {
            OciError::Service { code, .. } if code == "ObjectNotFound" || code == "NotFound" => {
                Ok(())
            }
            other => Err(other),
        }
    }

    /// One request, signed afresh for every attempt, retried on 429, 5xx (not 501), time-outs and
    /// connection errors with exponential backoff and jitter, until the time limit runs out.
    /// A request on one object. Object bodies are not signed (OCI signs them for other APIs only).
    fn send_object(
        &self,
        op: &str,
        method: Method,
        (ns, bucket, name): (&str, &str, &str),
        body: &[u8],
        extra: &[(&str, String)],
    ) -> Result<Reply, OciError> {
        let path = Self::object_path(ns, bucket, name);
        self.send(op, method, &path, body, BodyHeaders::Exclude, extra)
    }

    fn send(
        &self,
        op: &str,
        method: Method,
        path_and_query: &str,
        body: &[u8],
        body_headers: BodyHeaders,
        extra: &[(&str, String)],
    ) -> Result<Reply, OciError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let remaining = self.time_limit.saturating_sub(started.elapsed());
            let req = self.signed_request(
                &method,
                path_and_query,
                body,
                body_headers,
                extra,
                remaining,
            )?;
            let last = match req.send() {
                Ok(resp) => match receive(resp, attempt) {
                    Ok(reply) if !retryable(reply.status) => return Ok(reply),
                    Ok(reply) => service_error(op, &reply).to_string(),
                    Err(e) => format!("reading the answer failed: {e}"),
                },
                Err(e) => describe(&e),
            };
            let pause = backoff(attempt);
            if attempt >= MAX_ATTEMPTS || started.elapsed() + pause >= self.time_limit {
                return Err(OciError::Transport {
                    operation: op.to_string(),
                    detail: format!(
                        "gave up after {attempt} attempt(s) in {:.1}s (time limit {}s); last error: {last}",
                        started.elapsed().as_secs_f64(),
                        self.time_limit.as_secs()
                    ),
                });
            }
            std::thread::sleep(pause);
        }
    }

    /// One attempt's request, signed now (the date is part of the signature, so a retry signs
    /// again).
    fn signed_request(
        &self,
        method: &Method,
        path_and_query: &str,
        body: &[u8],
        body_headers: BodyHeaders,
        extra: &[(&str, String)],
        remaining: Duration,
    ) -> Result<reqwest::blocking::RequestBuilder, OciError> {
        let date = http_date();
        let content_type = extra
            .iter()
            .find(|(k, _)| *k == "content-type")
            .map_or("application/json", |(_, v)| v);
        let parts = RequestParts {
            method: method.as_str(),
            path_and_query,
            host: &self.host,
            date: &date,
            body,
            content_type,
        };
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path_and_query))
            .timeout(
                remaining
                    .min(PER_TRY_TIMEOUT)
                    .max(Duration::from_millis(100)),
            );
        for (k, v) in sign(&self.key, &self.key_id, &parts, body_headers)? {
            if k != "host" && k != "content-length" {
                req = req.header(k, v);
            }
        }
        for (k, v) in extra {
            if body_headers == BodyHeaders::Exclude || *k != "content-type" {
                req = req.header(*k, v);
            }
        }
        if !body.is_empty() || *method == Method::PUT || *method == Method::POST {
            req = req.body(body.to_vec());
        }
        Ok(req)
    }
}

/// The answer of one attempt, its body read whole.
fn receive(resp: reqwest::blocking::Response, attempt: u32) -> reqwest::Result<Reply> {
    let status = resp.status().as_u16();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let etag = header("etag");
    let request_id = header("opc-request-id");
    let body = resp.bytes()?.to_vec();
    Ok(Reply {
        status,
        etag,
        request_id,
        body,
        attempts: attempt,
    })
}

/// Checks an endpoint URL and returns the base every request path is appended to, and the host
/// the signature covers. Requests go to `<base><path>` and are signed for `host`, so the two must
/// agree: only `http(s)://host[:port]`, no user, path, query or fragment that would move the
/// request elsewhere or out of the signed request target.
pub fn check_endpoint(endpoint: &str) -> Result<(String, String), OciError> {
    let bad = |why: &str| {
        Err(OciError::Config(format!(
            "invalid endpoint '{endpoint}': {why}; an endpoint looks like https://objectstorage.us-ashburn-1.oraclecloud.com"
        )))
    };
    let url = match reqwest::Url::parse(endpoint.trim()) {
        Ok(u) => u,
        Err(e) => return bad(&e.to_string()),
    };
    if url.scheme() != "https" && url.scheme() != "http" {
        return bad("the scheme must be https (or http)");
    }
    let Some(name) = url.host_str().filter(|h| !h.is_empty()) else {
        return bad("no host");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return bad("a user name or password is not allowed");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return bad("a path, query or fragment is not allowed");
    }
    let host = match url.port() {
        Some(p) => format!("{name}:{p}"),
        None => name.to_string(),
    };
    Ok((format!("{}://{host}", url.scheme()), host))
}

fn retryable(status: u16) -> bool {
    status == 429 || (status >= 500 && status != 501)
}

/// 0.5 s, 1 s, 2 s, ... capped at 30 s, plus up to 0.5 s of jitter so clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500u64.saturating_mul(1u64 << (attempt - 1).min(10)));
    let mut b = [0u8; 2];
    let jitter = match SystemRandom::new().fill(&mut b) {
        Ok(()) => u64::from(u16::from_le_bytes(b)) % 500,
        Err(_) => 250,
    };
    (base + Duration::from_millis(jitter)).min(MAX_BACKOFF)
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The error's source chain names the cause (refused, reset, DNS) without any header values.
    let mut detail = kind.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}

fn service_error(op: &str, r: &Reply) -> OciError {
    let parsed: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    let code = parsed["code"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| match r.status {
            401 => "NotAuthenticated".into(),
            403 => "NotAuthorized".into(),
            404 => "NotFound".into(),
            409 => "Conflict".into(),
            412 => "PreconditionFailed".into(),
            429 => "TooManyRequests".into(),
            s if s >= 500 => "InternalServerError".into(),
            _ => "Error".into(),
        });
    let message = parsed["message"]
        .as_str()
        .unwrap_or("(no message)")
        .to_string();
    OciError::Service {
        operation: op.to_string(),
        status: r.status,
        code,
        message,
        request_id: if r.request_id.is_empty() {
            "-".into()
        } else {
            r.request_id.clone()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_scheme_host_and_port_only() {
        assert_eq!(
            check_endpoint("http://127.0.0.1:8080/").unwrap(),
            ("http://127.0.0.1:8080".into(), "127.0.0.1:8080".into())
        );
        assert_eq!(
            check_endpoint("https://objectstorage.us-ashburn-1.oraclecloud.com").unwrap(),
            (
                "https://objectstorage.us-ashburn-1.oraclecloud.com".into(),
                "objectstorage.us-ashburn-1.oraclecloud.com".into()
            )
        );
        assert_eq!(check_endpoint("http://[::1]:9000").unwrap().1, "[::1]:9000");
        for bad in [
            "objectstorage.example.com",
            "ftp://example.com",
            "https://user@example.com",
            "https://user:pw@example.com",
            "https://example.com/prefix",
            "https://example.com?x=1",
            "https://example.com#frag",
            "https://good.example.com#@evil.example.com",
            "https://",
        ] {
            let err = check_endpoint(bad).expect_err(bad).to_string();
            assert!(err.contains("invalid endpoint"), "{bad}: {err}");
        }
    }
}
