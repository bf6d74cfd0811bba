// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A tiny command line over the client, for tests against the fake endpoint (tests/oci):
//!   os CONFIG PROFILE ENDPOINT BUCKET ns|head NAME|get NAME|delete NAME|list PREFIX|fill PREFIX N
//! Prints one JSON value.

use oci::{Client, Conditional};
use serde_json::json;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().collect();
    let [_, config, profile, endpoint, bucket, op, rest @ ..] = a.as_slice() else {
        return Err("usage: os CONFIG PROFILE ENDPOINT BUCKET OP [ARGS]".into());
    };
    let profile = oci::config::load(Some(config), Some(profile))?;
    let client = Client::from_profile(&profile, Some(endpoint), Duration::from_secs(30))?;
    let ns = client.namespace()?;
    let arg = |i: usize| rest.get(i).map(String::as_str).unwrap_or_default();
    let out = match op.as_str() {
        "ns" => json!(ns),
        "head" => json!(client.head(&ns, bucket, arg(0))?),
        "get" => json!(client
            .get(&ns, bucket, arg(0))?
            .map(|o| String::from_utf8_lossy(&o.body).into_owned())),
        "delete" => json!(client.delete(&ns, bucket, arg(0), None)?),
        "list" => json!(client.list(&ns, bucket, arg(0))?),
        "fill" => {
            let n: usize = arg(1).parse()?;
            for i in 0..n {
                client.put(
                    &ns,
                    bucket,
                    &format!("{}{i:05}", arg(0)),
                    b"{}",
                    &Conditional::Always,
                )?;
            }
            json!(n)
        }
        other => return Err(format!("unknown op {other}").into()),
    };
    println!("{out}");
    Ok(())
}
