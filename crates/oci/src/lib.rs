// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A small client for OCI Object Storage: what the job-record backend needs and nothing more.
//!
//! It reads `~/.oci/config` as the OCI CLI does, signs requests itself (draft-cavage HTTP
//! signatures, rsa-sha256, with `ring`), and retries throttling and server errors within a time
//! limit. No OCI CLI or SDK is needed at run time.
//!
//! ```no_run
//! use oci::{Client, Conditional};
//! # fn main() -> Result<(), oci::OciError> {
//! let profile = oci::config::load(None, None)?; // ~/.oci/config, [DEFAULT]
//! let client = Client::from_profile(&profile, None, std::time::Duration::from_secs(60))?;
//! let ns = client.namespace()?;
//! client.put(&ns, "bucket", "hello.json", b"{}", &Conditional::IfNoneMatch)?;
//! # Ok(())
//! # }
//! ```
//!
//! Everything is at the crate root but [`config`], kept as a namespace: `config::load` and
//! `config::parse` say what they read.
#![deny(missing_docs)]

mod client;
pub mod config;
mod error;
mod key;
mod region;
mod sign;

pub use client::{check_endpoint, Client, Conditional, Object, PutOutcome};
pub use config::Profile;
pub use error::OciError;
pub use key::SigningKey;
pub use region::object_storage_endpoint;
pub use sign::{sign, BodyHeaders, RequestParts};
