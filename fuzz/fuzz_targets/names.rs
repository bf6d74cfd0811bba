// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any string as a jid or an alias: a name that parses is a single, safe path component.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: &str| {
    if let Ok(jid) = jobs::Jid::parse(s) {
        check_component(jid.as_str());
    }
    if let Ok(alias) = jobs::AliasName::parse(s) {
        check_component(&alias.file_name());
    }
});

fn check_component(name: &str) {
    assert!(!name.is_empty() && name != "." && name != "..");
    assert!(!name.contains('/') && !name.contains('\0'));
}
