// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Ansible async jobs as they live on a managed host.
//!
//! The async wrapper (ansible-core's `async_wrapper.py`) writes one JSON file per job into the async
//! dir, named by its jid. This crate reads those files, tells a running job from a finished or
//! orphaned one by looking for the wrapper's processes in /proc, and manages named aliases: symlinks
//! `jid_<alias>` next to the job files.
//!
//! ```no_run
//! use jobs::{locate, AliasName, AsyncDir, Wanted};
//! # fn main() -> Result<(), jobs::JobError> {
//! let dir = AsyncDir::resolve("~/.ansible_async")?;
//! let found = locate(&dir, Wanted::Alias(AliasName::parse("nightly-backup")?))?;
//! if let Some(job) = &found.job {
//!     println!("{} is {:?}", job.jid.as_str(), job.state);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Most of the API sits at the crate root. Two modules stay public as namespaces because their
//! functions read better qualified (and `claim`/`release` would otherwise be ambiguous):
//! [`start`] (the async_task start protocol), [`cleanup`] (what async_status_id removes),
//! [`inventory`] (every job of a dir, for async_job_info) and [`prune`] (what async_prune removes).
#![deny(missing_docs)]

mod alias;
mod claim;
pub mod cleanup;
mod dir;
mod error;
mod facts;
mod filter;
pub mod inventory;
mod jobfile;
mod kill;
mod liveness;
mod locate;
mod names;
mod naming;
pub mod prune;
pub mod start;
mod status;
mod stop;
mod wait;

pub use alias::{confined_jid, AliasLink};
pub use claim::{Claim, Held, Token, MAX_TOKEN_LEN, MIN_TOKEN_LEN};
pub use dir::AsyncDir;
pub use error::{JobError, Result};
pub use filter::{glob_match, parse_duration, BadFilter, Filter, JobState};
pub use jobfile::{truthy, JobFile};
pub use kill::parse_signal;
pub use locate::{locate, Located, Wanted};
pub use names::{AliasName, Jid, ALIAS_PREFIX, MAX_ALIAS_BYTES};
pub use naming::{name_job, NameRefused, Named};
pub use status::{Job, State};
pub use stop::{stop, Stopped};
pub use wait::{wait, MAX_WAIT};
