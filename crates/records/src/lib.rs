// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Job records: "job NAME of playbook P on host H is ansible job J", kept where a new controller
//! can find it. A record is a small JSON document; stores keep one per (host, playbook, name).
//!
//! ```no_run
//! use records::{FsStore, RecordKey, RecordStore};
//! # fn main() -> Result<(), records::RecordStoreError> {
//! let store = FsStore::new("/home/me/.ansible_async_state");
//! let key = RecordKey::new("web1", "site.yml", "nightly-backup")?;
//! if let Some(record) = store.load(&key)? {
//!     println!("{:?}", record.ansible_job_id);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The stores and types sit at the crate root; [`ops`] stays a namespace, because `ops::save` and
//! `ops::delete` (the modules' whole operations, check mode included) would read like the
//! [`RecordStore`] methods of the same names.
#![deny(missing_docs)]

mod error;
mod fs;
mod key;
mod oci_store;
pub mod ops;
mod record;
mod store;

pub use error::RecordStoreError;
pub use fs::FsStore;
pub use key::RecordKey;
pub use oci_store::{OciOptions, OciStore};
pub use record::{now_utc, Record, TIME_FORMAT};
pub use store::{RecordStore, SaveMode, SaveOutcome, Stored};
