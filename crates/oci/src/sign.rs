// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! draft-cavage HTTP signatures as OCI uses them.
//!
//! GET, HEAD and DELETE sign `date (request-target) host`. PUT and POST also sign
//! `content-length content-type x-content-sha256`, except PutObject (and UploadPart), whose body is
//! the object itself: the SDKs sign only the three base headers there.

use crate::error::OciError;
use crate::key::SigningKey;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Which header list to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyHeaders {
    /// GET/HEAD/DELETE, and PutObject: no body headers.
    Exclude,
    /// Other PUT/POST requests.
    Include,
}

/// A request as it will go on the wire: what the signature covers.
#[derive(Debug, Clone)]
pub struct RequestParts<'a> {
    /// The HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// Path and query exactly as sent, percent-encoding kept.
    pub path_and_query: &'a str,
    /// `host[:port]`, port included when it is not the scheme's default.
    pub host: &'a str,
    /// RFC 7231 date, e.g. `Thu, 05 Jan 2014 21:31:40 GMT`.
    pub date: &'a str,
    /// The body; hashed into `x-content-sha256` when body headers are signed.
    pub body: &'a [u8],
    /// The `content-type` header, signed with the body headers.
    pub content_type: &'a str,
}

/// Headers to send: the ones the signature covers, plus Authorization.
pub fn sign(
    key: &SigningKey,
    key_id: &str,
    req: &RequestParts,
    body_headers: BodyHeaders,
) -> Result<Vec<(String, String)>, OciError> {
    let mut signed: Vec<(String, String)> = vec![
        ("date".into(), req.date.to_string()),
        (
            "(request-target)".into(),
            format!("{} {}", req.method.to_lowercase(), req.path_and_query),
        ),
        ("host".into(), req.host.to_string()),
    ];
    if body_headers == BodyHeaders::Include {
        signed.push(("content-length".into(), req.body.len().to_string()));
        signed.push(("content-type".into(), req.content_type.to_string()));
        signed.push((
            "x-content-sha256".into(),
            B64.encode(Sha256::digest(req.body)),
        ));
    }
    let signing_string = signed
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let signature = B64.encode(key.sign(signing_string.as_bytes())?);
    let names = signed
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    // Parameter order is free in the draft; this is the SDKs' order, so headers compare byte for byte.
    let authorization = format!(
        "Signature algorithm=\"rsa-sha256\",headers=\"{names}\",keyId=\"{key_id}\",signature=\"{signature}\",version=\"1\""
    );
    let mut headers: Vec<(String, String)> = signed
        .into_iter()
        .filter(|(k, _)| k != "(request-target)")
        .collect();
    headers.push(("authorization".into(), authorization));
    Ok(headers)
}

/// The Date header value for now.
pub fn http_date() -> String {
    chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}
