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
    let mut out = Vec::new();
    canonical(&v, &mut out);
    hex(&Sha256::digest(&out))
}

/// Lower-case hex. A `format!` per byte was a third of a submission's CPU (docs/performance.md).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Scalars and keys are written by serde_json's compact writer: the same bytes its `Display`
/// gives, so fingerprints stored before stay equal, without a String per value.
fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                scalar(k, out);
                out.push(b':');
                canonical(&m[k], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

fn scalar<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Writing a string, number, bool or null into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
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

    /// The fingerprints of jobs already in a store were made by the first version (Display per
    /// value, `format!` per byte): the faster one must give the same strings, or a POST with a
    /// name would conflict with its own live job after an upgrade.
    #[test]
    fn same_fingerprint_as_the_first_version() {
        fn first_canonical(v: &Value, out: &mut String) {
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
                        first_canonical(&m[k], out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        first_canonical(item, out);
                    }
                    out.push(']');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let vars = json!({
            "quote\"back\\slash\ncontrol\u{1}": "\u{e9}t\u{e9} \u{1f600} </script>",
            "n": [-1, 0, 1.5, -2.25e-10, 1e300, 18446744073709551615u64],
            "nested": {"z": [true, false, null, {"b": 1, "a": [[]]}], "": {}},
        });
        let mut s = spec(vars.clone());
        s.timeout = Some(30);
        s.limit = Some("web:&db".into());
        s.tags = Some(vec!["a".into(), "b c".into()]);
        s.check = true;
        s.inventory = Inventory::File("inv/hosts.ini".into());
        let v = json!({
            "playbook": s.playbook,
            "extra_vars": s.extra_vars,
            "inventory": s.inventory.display(),
            "timeout": s.timeout,
            "limit": s.limit,
            "tags": s.tags,
            "check": s.check,
        });
        let mut text = String::new();
        first_canonical(&v, &mut text);
        let first: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(of(&s), first);
        assert_eq!(of(&spec(json!({}))).len(), 64);
    }
}
