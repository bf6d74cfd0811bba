// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A small client for OCI Object Storage: what the job-record backend needs and nothing more.
//!
//! It reads `~/.oci/config` as the OCI CLI does, signs requests itself (draft-cavage HTTP
//! signatures, rsa-sha256, with `ring`), and retries throttling and server errors within a time
//! limit. No OCI CLI or SDK is needed at run time.

pub mod client;
pub mod config;
pub mod error;
pub mod key;
pub mod region;
pub mod sign;

pub use client::{Client, Conditional, Object, PutOutcome};
pub use config::Profile;
pub use error::OciError;
