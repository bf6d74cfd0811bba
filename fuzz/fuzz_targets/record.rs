// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any bytes as a job record: parsing never panics, and what parses writes back to text that
//! parses to the same content.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(record) = records::Record::parse(text, "fuzz") {
        let again = records::Record::parse(&record.to_text(), "fuzz").expect("a written record parses");
        assert!(record.same_content(&again));
    }
});
