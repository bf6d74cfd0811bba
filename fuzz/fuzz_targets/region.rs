// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any text as an OCI region or endpoint: a region that is accepted gives an endpoint on
//! objectstorage.<region>.<domain> and nowhere else, and a custom endpoint is scheme://host[:port].
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(endpoint) = oci::object_storage_endpoint(text) {
        let host = endpoint.strip_prefix("https://").expect("https endpoint");
        assert!(host.starts_with("objectstorage."), "{endpoint}");
        assert!(!host.contains(['/', '?', '#', '@', ':']), "{endpoint}");
    }
    if let Ok((base, _host)) = oci::check_endpoint(text) {
        let rest = base.split_once("://").map(|(_, r)| r).unwrap_or_default();
        assert!(!rest.contains(['/', '?', '#', '@']), "{base}");
    }
});
