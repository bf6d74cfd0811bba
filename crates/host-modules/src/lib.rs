// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Shared pieces of the on-host modules: option specs and the status report every module returns.

pub mod args;
pub mod report;
pub mod specs;
pub mod status_answer;
pub mod task_answer;
