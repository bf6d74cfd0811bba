// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Signs the requests described in a JSON file and prints the headers: our side of the signature
//! oracle test (tests/oci/test_signing_oracle.py compares them with the official SDK's).
//!
//! Input: {"key_file", "pass_phrase"?, "key_id"? | ("tenancy", "user"), "requests": [{"name",
//! "method", "url", "date", "body", "content_type", "put_object"}]}

use oci::{sign, BodyHeaders, RequestParts, SigningKey};
use serde_json::{json, Map, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: sign SPEC.json")?;
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let key = SigningKey::from_file(
        std::path::Path::new(spec["key_file"].as_str().ok_or("key_file")?),
        spec["pass_phrase"].as_str(),
    )?;
    let fingerprint = key.fingerprint()?;
    let key_id = match spec["key_id"].as_str() {
        Some(k) => k.to_string(),
        None => format!(
            "{}/{}/{}",
            spec["tenancy"].as_str().unwrap_or_default(),
            spec["user"].as_str().unwrap_or_default(),
            fingerprint
        ),
    };
    let mut out = Map::new();
    out.insert("fingerprint".into(), json!(fingerprint));
    for r in spec["requests"].as_array().ok_or("requests")? {
        let url = reqwest::Url::parse(r["url"].as_str().ok_or("url")?)?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let method = r["method"].as_str().ok_or("method")?;
        let body_headers = if matches!(method, "PUT" | "POST" | "PATCH")
            && !r["put_object"].as_bool().unwrap_or(false)
        {
            BodyHeaders::Include
        } else {
            BodyHeaders::Exclude
        };
        let parts = RequestParts {
            method,
            path_and_query: &path_and_query,
            host: &host,
            date: r["date"].as_str().ok_or("date")?,
            body: r["body"].as_str().unwrap_or_default().as_bytes(),
            content_type: r["content_type"].as_str().unwrap_or("application/json"),
        };
        let headers: Map<String, Value> = sign(&key, &key_id, &parts, body_headers)?
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        out.insert(
            r["name"].as_str().unwrap_or_default().to_string(),
            Value::Object(headers),
        );
    }
    println!("{}", Value::Object(out));
    Ok(())
}
