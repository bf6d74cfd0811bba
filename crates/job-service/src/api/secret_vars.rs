// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! What a job shows of its extra vars. Their names always; their values only when asked
//! (`?include=extra_vars`), and never the value of a name the operator marks secret
//! (`--secret-var`, plus the defaults below): that value shows as `"<secret>"`, at any depth, so
//! a client sees that the name was given without learning what it was.

use serde_json::{Map, Value};

/// What a secret value shows as.
pub const MASK: &str = "<secret>";

/// Names whose values are withheld whatever the flags: the usual words for credentials.
/// `--secret-var` adds to them; none can be taken away (a name withheld by mistake costs a
/// look at the playbook, a value shown by mistake a credential). `*_pass` is Ansible's own
/// spelling (`ansible_become_pass`, `ansible_ssh_pass`, `vault_pass`); `*_key` is broad on purpose
/// (`ssh_key`, `aws_secret_access_key`, `encryption_key`): a false positive only hides a value.
pub const DEFAULT_PATTERNS: [&str; 10] = [
    "*password*",
    "*passwd*",
    "*_pass",
    "*passphrase*",
    "*secret*",
    "*token*",
    "*credential*",
    "*private_key*",
    "*api_key*",
    "*_key",
];

/// The glob patterns of secret names: `*` any run of characters, `?` one; letters match either
/// case.
#[derive(Clone, Debug)]
pub struct SecretVars {
    patterns: Vec<String>,
}

impl Default for SecretVars {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl SecretVars {
    /// The defaults and `extra` (`--secret-var`, checked by [`pattern`]).
    pub fn new(extra: &[String]) -> Self {
        let mut patterns: Vec<String> = DEFAULT_PATTERNS.iter().map(|p| (*p).into()).collect();
        patterns.extend(extra.iter().map(|p| p.to_ascii_lowercase()));
        Self { patterns }
    }

    pub fn is_secret(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.patterns
            .iter()
            .any(|p| glob(p.as_bytes(), name.as_bytes()))
    }

    /// `vars` with the value of every secret name, at any depth, replaced by [`MASK`].
    pub fn masked(&self, vars: &Map<String, Value>) -> Map<String, Value> {
        vars.iter()
            .map(|(k, v)| {
                let shown = if self.is_secret(k) {
                    Value::String(MASK.into())
                } else {
                    self.masked_value(v)
                };
                (k.clone(), shown)
            })
            .collect()
    }

    fn masked_value(&self, v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(self.masked(m)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.masked_value(i)).collect())
            }
            other => other.clone(),
        }
    }
}

/// `--secret-var`: a name or a glob of one (`*`, `?`), in the characters of an extra var's name.
pub fn pattern(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_*?".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?}: give a variable name or a glob of one: letters, digits, `_`, and `*` or `?` (e.g. '*_pass')"
        ))
    }
}

/// Whether `name` matches the glob `pat`; iterative, with one backtrack point per `*`, so a
/// pattern of many stars stays linear-ish rather than exponential.
fn glob(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// `?include=`: what an answer adds to each job. Only `extra_vars` today.
pub fn include(raw: Option<&str>) -> Result<bool, super::error::ApiError> {
    match raw {
        None => Ok(false),
        Some("extra_vars") => Ok(true),
        Some(v) => Err(super::error::ApiError::field(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "include",
            format!("include={v:?}: the only value is extra_vars"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        for (p, n, want) in [
            ("*password*", "db_password", true),
            ("*password*", "password", true),
            ("*password*", "passwor", false),
            ("db_?ass", "db_pass", true),
            ("db_?ass", "db_ppass", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("*", "", true),
            ("**a", "ba", true),
        ] {
            assert_eq!(glob(p.as_bytes(), n.as_bytes()), want, "{p} {n}");
        }
        // Many stars against a long non-match ends (no exponential backtracking).
        let p = "*a".repeat(50) + "b";
        assert!(!glob(p.as_bytes(), "a".repeat(200).as_bytes()));
    }

    #[test]
    fn secret_values_are_masked_at_any_depth_names_and_other_values_kept() {
        let s = SecretVars::new(&["vault_*".into(), "PIN".into()]);
        let vars = json!({
            "greeting": "hi",
            "DB_Password": "x",
            "vault_id": 3,
            "pin": "1234",
            "conf": {"api_token": "t", "port": 5432, "list": [{"secret": 1}, 2]},
        });
        let shown = s.masked(vars.as_object().unwrap());
        assert_eq!(
            Value::Object(shown),
            json!({
                "greeting": "hi",
                "DB_Password": MASK,
                "vault_id": MASK,
                "pin": MASK,
                "conf": {"api_token": MASK, "port": 5432, "list": [{"secret": MASK}, 2]},
            })
        );
    }

    #[test]
    fn ansible_credential_names_are_secret_by_default() {
        let s = SecretVars::default();
        for name in [
            "vault_pass",
            "ansible_become_pass",
            "become_pass",
            "ansible_ssh_pass",
            "ssh_pass",
            "key_passphrase",
            "Passphrase",
            "ssh_key",
            "aws_secret_access_key",
            "ENCRYPTION_KEY",
            "db_password",
        ] {
            assert!(s.is_secret(name), "{name}");
        }
        for name in [
            "greeting",
            "passes",
            "bypass_cache",
            "keyboard",
            "key_name",
            "port",
        ] {
            assert!(!s.is_secret(name), "{name}");
        }
    }

    #[test]
    fn patterns_and_include() {
        assert!(pattern("*_pass").is_ok());
        for bad in ["", "a-b", "a b", "x[1]"] {
            assert!(pattern(bad).is_err(), "{bad}");
        }
        assert!(!include(None).unwrap());
        assert!(include(Some("extra_vars")).unwrap());
        assert!(include(Some("stdout")).is_err());
    }
}
