// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Filesystem primitives, written once and tested once.
//!
//! Job files, claims, kill marks, aliases and records all live in directories other users may
//! write into, so every primitive here refuses to follow a link it did not make, and every write
//! is a temp file, fsync, rename, directory fsync:
//!
//! ```no_run
//! use safe_fs::{write_atomic, TempName};
//! # fn main() -> std::io::Result<()> {
//! write_atomic(std::path::Path::new("/tmp/async/j1.2"), TempName::Fixed("j1.2.kill"), b"{}")?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod dir;
mod file;
mod link;
mod name;
pub mod proc;

pub use dir::{sync_dir, DirLock};
pub use file::{open_regular, write_atomic, write_atomic_at, write_new, TempName};
pub use link::replace_symlink;
pub use name::{check_component, BadComponent, MAX_COMPONENT_BYTES};
