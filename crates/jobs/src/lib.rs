// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Ansible async jobs as they live on a managed host.
//!
//! The async wrapper (ansible-core's `async_wrapper.py`) writes one JSON file per job into the async
//! dir, named by its jid. This crate reads those files, tells a running job from a finished or
//! orphaned one by looking for the wrapper's processes in /proc, and manages named aliases: symlinks
//! `jid_<alias>` next to the job files.

pub mod alias;
pub mod claim;
pub mod cleanup;
pub mod dir;
pub mod error;
pub mod jobfile;
pub mod kill;
pub mod liveness;
pub mod locate;
pub mod names;
pub mod naming;
pub mod start;
pub mod status;
pub mod stop;

pub use dir::AsyncDir;
pub use error::JobError;
pub use locate::{locate, Located, Wanted};
pub use names::{AliasName, Jid};
