// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! `openapi`: the API's OpenAPI document on stdout, as the running service serves it.

use crate::{api, CommandError};

pub fn openapi() -> Result<(), CommandError> {
    let doc = api::ops::document()
        .to_pretty_json()
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    println!("{doc}");
    Ok(())
}
