// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The protocol boundary on arbitrary input: `execute` (args-file text) and `validate` (a parsed
//! object) never panic and always give a result or a failure with a message. Both are the entry
//! points a cargo-fuzz target calls.

use proptest::prelude::*;
use protocol::{execute, validate, ArgSpec, Opt, Response};
use serde_json::{Map, Value};

fn spec() -> ArgSpec {
    ArgSpec::new(vec![
        Opt::str("s").required(),
        Opt::str("c").choices(&["a", "b"]).default("a"),
        Opt::bool("b"),
        Opt::int("i").default(3),
        Opt::float("f"),
        Opt::dict("d"),
        Opt::list("l"),
        Opt::raw("r"),
        Opt::str("secret").no_log(),
    ])
    .exactly_one_of(&["b", "i"])
    .required_together(&["f", "d"])
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "(a|b|yes|no|1|0|1\\.5|-7|1e400|nan|\\{\\}|\\[\\]|[a-z0-9=, ]{0,10})"
            .prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{0,3}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        "(s|c|b|i|f|d|l|r|secret|_ansible_check_mode|_ansible_diff|_ansible_no_log|_ansible_verbosity|_ansible_module_name)",
        "[a-z_]{0,6}",
    ];
    proptest::collection::vec((key, value()), 0..9).prop_map(|kv| kv.into_iter().collect())
}

fn failed_with_message(m: &Map<String, Value>) -> bool {
    m.get("failed") == Some(&Value::Bool(true))
        && m.get("msg")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
}

proptest! {
    #[test]
    fn execute_never_panics_on_any_text(text in any::<String>()) {
        let r = execute("m", &spec(), &text, |_| Ok(Response::new(false)));
        prop_assert!(failed_with_message(&r) || r.get("changed") == Some(&Value::Bool(false)));
    }

    #[test]
    fn validate_gives_params_or_a_message(raw in object()) {
        match validate("m", &spec(), raw.clone()) {
            Ok(p) => {
                prop_assert!(p.str("s").is_some());
                prop_assert!(matches!(p.str("c"), Some("a") | Some("b")));
                prop_assert!(p.value("b").is_none() != p.value("i").is_none());
            }
            Err(msg) => prop_assert!(!msg.is_empty()),
        }
        let r = execute("m", &spec(), &Value::Object(raw).to_string(), |_| Ok(Response::new(false)));
        prop_assert!(failed_with_message(&r) || r.get("changed") == Some(&Value::Bool(false)));
    }

    #[test]
    fn no_log_values_never_reach_the_invocation(secret in "[a-zA-Z0-9]{6,20}") {
        let text = serde_json::json!({"s": "x", "i": 1, "secret": secret}).to_string();
        let r = execute("m", &spec(), &text, |_| Ok(Response::new(false)));
        prop_assert!(!Value::Object(r).to_string().contains(&secret));
    }
}
