// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_prune: removes the ended jobs of the async dir, with their names, claims and leftovers.

use host_modules::inventory_answer::pruned;
use host_modules::{specs, InventoryArgs};
use protocol::{Failure, Params, Response};
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_prune", &specs::async_prune(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let InventoryArgs { filter, dir } = InventoryArgs::from(p)?;
    pruned(&dir, &filter, p)
}
