// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Any text as module arguments, against every module's real spec (first byte picks the module):
//! validation never panics and always ends in a result or a failure with a message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use protocol::Response;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut specs = host_modules::specs::all();
    specs.extend(controller_modules::specs::all());
    let (name, spec) = &specs[pick as usize % specs.len()];
    let out = protocol::execute(name, spec, text, |_| Ok(Response::new(false)));
    if out.get("failed").and_then(|v| v.as_bool()) == Some(true) {
        let msg = out.get("msg").and_then(|v| v.as_str()).unwrap_or_default();
        assert!(!msg.is_empty(), "a failure without a message: {out:?}");
    }
});
