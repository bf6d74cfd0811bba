// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! JSON text to a value as a byte slice: the on-host binaries then carry one instantiation of
//! serde_json's parser, shared with the job-file reader.

use serde_json::Value;

pub fn parse(text: &str) -> serde_json::Result<Value> {
    serde_json::from_slice(text.as_bytes())
}
