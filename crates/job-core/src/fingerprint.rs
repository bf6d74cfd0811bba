// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Two POSTs of one name are "the same payload" when these fingerprints are equal.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::model::JobSpec;

/// The compared fields, as canonical JSON (object keys sorted at every level), hashed.
pub(crate) fn of(spec: &JobSpec) -> String {
    let v = json!({
        "playbook": spec.playbook,
        "extra_vars": spec.extra_vars,
        "inventory": spec.inventory.display(),
        "timeout": spec.timeout,
        "limit": spec.limit,
        "tags": spec.tags,
        "check": spec.check,
    });
    let mut out = String::new();
    canonical(&v, &mut out);
    let digest = Sha256::digest(out.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Inventory, Restart};

    fn spec(vars: Value) -> JobSpec {
        JobSpec {
            playbook: "hello.yml".into(),
            extra_vars: vars.as_object().cloned().unwrap_or_default(),
            inventory: Inventory::Hosts(vec!["localhost".into()]),
            name: Some("n".into()),
            restart: Restart::Never,
            timeout: None,
            limit: None,
            tags: None,
            check: false,
            submitter: None,
        }
    }

    #[test]
    fn key_order_does_not_matter_values_do() {
        let a = of(&spec(json!({"a": 1, "b": {"x": 1, "y": 2}})));
        let b = of(&spec(json!({"b": {"y": 2, "x": 1}, "a": 1})));
        let c = of(&spec(json!({"a": 2, "b": {"x": 1, "y": 2}})));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn restart_and_name_are_not_the_payload() {
        let mut other = spec(json!({}));
        other.restart = Restart::Always;
        other.name = Some("m".into());
        assert_eq!(of(&spec(json!({}))), of(&other));
    }
}
