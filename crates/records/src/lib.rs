// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Job records: "job NAME of playbook P on host H is ansible job J", kept where a new controller
//! can find it. A record is a small JSON document; stores keep one per (host, playbook, name).

pub mod error;
pub mod fs;
pub mod key;
pub mod oci_store;
pub mod ops;
pub mod record;
pub mod store;

pub use error::StoreError;
pub use key::RecordKey;
pub use record::Record;
pub use store::{SaveMode, SaveOutcome, Store, Stored};
