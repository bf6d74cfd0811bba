// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any text as an async_task claim file or token: parsing never panics, a token is lowercase hex
//! only, and what parses is written back byte for byte.
#![no_main]
use jobs::{Claim, Token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(token) = Token::parse(text) {
        assert!(token.as_str().bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
    if let Ok(claim) = Claim::parse(text) {
        assert_eq!(claim.format(), text);
    }
});
