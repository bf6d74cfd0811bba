// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Running jobs: the worker pool, one worker's loop, the lease a process keeps on the store, the
//! runs a dead worker left behind, and how a job becomes an ansible-playbook command line.

pub mod callback;
pub mod invocation;
pub mod lease;
pub mod orphans;
pub mod pool;
pub mod start;
pub mod vars_file;
pub mod worker;
