// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Connections: the accept loop with its timeouts and cap.

pub mod accept;
pub mod access;
pub mod tls;
