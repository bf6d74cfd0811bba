// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Module arguments against every on-host module's real spec: validation never panics and always
//! ends in a result or a failure with a message. The entry point is `protocol::execute(name,
//! spec, args_text, body)` with the specs from `host_modules::specs::all()`, the same call a
//! cargo-fuzz target makes.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use host_modules::specs;
use proptest::prelude::*;
use protocol::{ArgSpec, Kind, Response};
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "(TERM|9|-1|1e999|yes|no|on|off|true|status|full_cleanup|claim|release|j1\\.1|\\.\\./x|[a-z0-9 ./]{0,12})"
            .prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn key(spec: &ArgSpec) -> impl Strategy<Value = String> {
    let mut names: Vec<String> = spec.options.iter().map(|o| o.name.to_string()).collect();
    names.extend(
        [
            "_ansible_check_mode",
            "_ansible_diff",
            "_ansible_no_log",
            "_ansible_verbosity",
            "_ansible_module_name",
            "_ansible_debug",
        ]
        .map(String::from),
    );
    prop_oneof![
        4 => proptest::sample::select(names),
        1 => "[a-z_]{1,8}",
    ]
}

fn args(spec: &ArgSpec) -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::vec((key(spec), json_value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// The property, over the raw args-file text of one module.
fn check(name: &str, spec: &ArgSpec, text: &str) -> Result<(), TestCaseError> {
    let mut seen = None;
    let result = protocol::execute(name, spec, text, |p| {
        seen = Some(p.clone());
        Ok(Response::new(false))
    });
    match result.get("failed") {
        Some(Value::Bool(true)) => {
            prop_assert!(seen.is_none(), "the body ran on rejected input");
            prop_assert!(result
                .get("msg")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()));
        }
        _ => {
            let p = seen.expect("the body runs on accepted input");
            for opt in &spec.options {
                let v = p.value(opt.name);
                prop_assert!(!opt.required || v.is_some(), "{} missing", opt.name);
                if let Some(v) = v {
                    let ok = match opt.kind {
                        Kind::Str => v.is_string(),
                        Kind::Bool => v.is_boolean(),
                        Kind::Int => v.is_i64() || v.is_u64(),
                        Kind::Float => v.is_number(),
                        Kind::Dict => v.is_object(),
                        Kind::List => v.is_array(),
                        Kind::Raw => true,
                    };
                    prop_assert!(ok, "{} = {} is not a {:?}", opt.name, v, opt.kind);
                    if !opt.choices.is_empty() {
                        prop_assert!(opt.choices.contains(&v.as_str().unwrap_or_default()));
                    }
                }
            }
        }
    }
    Ok(())
}

fn both(
    name: &str,
    spec: &ArgSpec,
    args: Map<String, Value>,
    raw: &str,
) -> Result<(), TestCaseError> {
    check(name, spec, &Value::Object(args).to_string())?;
    check(name, spec, raw)
}

/// A module of `specs::all()`, and arguments drawn from its own spec: a new module is covered
/// by being in `all()`, with no case to write here.
fn module_and_args() -> impl Strategy<Value = (usize, Map<String, Value>)> {
    let all = specs::all();
    (0..all.len()).prop_flat_map(move |i| (Just(i), args(&all[i].1)))
}

proptest! {
    // 256 cases per module, as when each module had its own test.
    #![proptest_config(ProptestConfig::with_cases(256 * specs::all().len() as u32))]
    #[test]
    fn every_module_args((i, a) in module_and_args(), raw in any::<String>()) {
        let all = specs::all();
        let (name, spec) = &all[i];
        both(name, spec, a, &raw)?;
    }
}

#[test]
fn every_host_binary_has_its_spec_checked_here() {
    let names: Vec<&str> = specs::all().into_iter().map(|(n, _)| n).collect();
    let mut bins: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin"))
        .expect("src/bin")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".rs")
                .map(String::from)
        })
        .collect();
    bins.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(bins, sorted);
}
