// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Accepts the same options as async_status_id and answers at once.

use protocol::{ArgSpec, Opt, Response};
use std::process::ExitCode;

fn main() -> ExitCode {
    let spec = ArgSpec::new(vec![Opt::str("jid"), Opt::str("alias"), Opt::str("mode")]);
    protocol::run("noop_binary", &spec, |_| Ok(Response::new(false)))
}
