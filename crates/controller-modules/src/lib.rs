// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Shared pieces of the controller-side record modules: backend options and the record's keys.

pub mod backend;
pub mod specs;
