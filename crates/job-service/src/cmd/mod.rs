// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The commands: `serve`, `worker`, `openapi`, and the checks `serve` and `worker` share.

pub mod data_dir;
pub mod files;
pub mod hangup;
pub mod notify;
pub mod openapi;
pub mod serve;
pub mod setup;
pub mod worker;
