// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any bytes as an API key PEM, with and without a pass phrase: parsing never panics, and never
//! runs an unbounded key derivation (libFuzzer's -timeout catches a hang).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = oci::SigningKey::from_pem(text, None);
    let _ = oci::SigningKey::from_pem(text, Some("pass phrase"));
});
