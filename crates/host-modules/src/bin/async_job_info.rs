// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! async_job_info: the jobs of the async dir, with their names and states. Reads only.

use host_modules::inventory_answer::info;
use host_modules::{specs, InventoryArgs};
use protocol::{Failure, Params, Response};
use std::process::ExitCode;

fn main() -> ExitCode {
    protocol::run("async_job_info", &specs::async_job_info(), body)
}

fn body(p: &Params) -> Result<Response, Failure> {
    let InventoryArgs { filter, dir } = InventoryArgs::from(p)?;
    info(&dir, &filter)
}
