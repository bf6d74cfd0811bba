//! Shared pieces of the controller-side record modules: backend options and the record's keys.

pub mod backend;
