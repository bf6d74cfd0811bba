// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Option validation in AnsibleModule's order and words.

use crate::coerce::{coerce, py_type, to_bool};
use crate::response::Failure;
use crate::spec::ArgSpec;
use serde_json::{Map, Value};

/// What AnsibleModule prints in place of a no_log value.
pub const NO_LOG_MASK: &str = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER";

/// Validated options plus the internal flags the controller sent.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: Map<String, Value>,
    masked: Vec<&'static str>,
    /// `_ansible_module_name`, for messages.
    pub module_name: String,
    /// `_ansible_check_mode`: decide, change nothing.
    pub check_mode: bool,
    /// `_ansible_diff`: the task asked for a diff.
    pub diff: bool,
    /// `_ansible_no_log`: the result carries no `invocation`.
    pub no_log: bool,
    /// `_ansible_verbosity`, the number of `-v`.
    pub verbosity: i64,
}

impl Params {
    /// An option's value; `None` when it is missing or null.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }
    /// A `str` option's value.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.value(name).and_then(Value::as_str)
    }
    /// A `bool` option's value; false when missing.
    pub fn bool(&self, name: &str) -> bool {
        self.value(name).and_then(Value::as_bool).unwrap_or(false)
    }
    /// An `int` option's value.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.value(name).and_then(Value::as_i64)
    }
    /// A `float` option's value (an int is read as a float too).
    pub fn float(&self, name: &str) -> Option<f64> {
        self.value(name).and_then(Value::as_f64)
    }
    /// A `dict` option's value.
    pub fn dict(&self, name: &str) -> Option<&Map<String, Value>> {
        self.value(name).and_then(Value::as_object)
    }
    /// A value validation always fills in (required, or with a default in the spec): the spec
    /// owns the default, callers never restate it. Missing means the spec and the caller
    /// disagree: a clear failure, not a guess.
    pub fn filled(&self, name: &str) -> Result<&Value, Failure> {
        self.value(name)
            .ok_or_else(|| Failure::new(format!("internal error: option {name} has no value")))
    }
    /// [`Params::filled`] for a `str` option.
    pub fn text(&self, name: &str) -> Result<&str, Failure> {
        self.filled(name)?
            .as_str()
            .ok_or_else(|| Failure::new(format!("internal error: option {name} is not a string")))
    }
    /// [`Params::filled`] for an `int` option.
    pub fn integer(&self, name: &str) -> Result<i64, Failure> {
        self.filled(name)?
            .as_i64()
            .ok_or_else(|| Failure::new(format!("internal error: option {name} is not an integer")))
    }
    /// The options as AnsibleModule reports them under `invocation.module_args`.
    pub fn invocation(&self) -> Value {
        let mut args = self.values.clone();
        for name in &self.masked {
            if args.get(*name).is_some_and(|v| !v.is_null()) {
                args.insert((*name).to_string(), Value::String(NO_LOG_MASK.into()));
            }
        }
        serde_json::json!({ "module_args": args })
    }
}

enum Problem {
    Unsupported(String),
    Other(String),
}

/// Validates `raw` against `spec`. On failure returns the message AnsibleModule would print.
pub fn validate(
    default_name: &str,
    spec: &ArgSpec,
    raw: Map<String, Value>,
) -> Result<Params, String> {
    let mut params = Params {
        module_name: default_name.to_string(),
        ..Default::default()
    };
    let (mut given, ignore_unknown) = take_internal_keys(raw, &mut params);
    // AnsibleModule's order of checks; it reports only the first problem.
    let mut problems = group_problems(spec, &given);
    problems.extend(coerce_all(spec, &mut given));
    problems.extend(choice_problems(spec, &given));
    problems.extend(rule_problems(spec, &given));
    problems.extend(unsupported(spec, &given));
    match problems.into_iter().next() {
        Some(Problem::Other(msg)) => return Err(msg),
        Some(Problem::Unsupported(msg)) if !ignore_unknown => {
            return Err(format!(
                "Unsupported parameters for ({}) module: {msg}",
                params.module_name
            ))
        }
        _ => {}
    }
    fill(spec, given, &mut params);
    Ok(params)
}

/// Moves the `_ansible_*` keys into `params`; returns the task's options and whether unknown
/// options are to be ignored.
fn take_internal_keys(raw: Map<String, Value>, params: &mut Params) -> (Map<String, Value>, bool) {
    let mut given = Map::new();
    let mut ignore_unknown = false;
    for (key, value) in raw {
        match key.as_str() {
            "_ansible_check_mode" => params.check_mode = to_bool(&value).unwrap_or(false),
            "_ansible_diff" => params.diff = to_bool(&value).unwrap_or(false),
            "_ansible_no_log" => params.no_log = to_bool(&value).unwrap_or(false),
            "_ansible_verbosity" => params.verbosity = value.as_i64().unwrap_or(0),
            "_ansible_ignore_unknown_opts" => ignore_unknown = to_bool(&value).unwrap_or(false),
            "_ansible_module_name" => {
                if let Some(name) = value.as_str().filter(|n| !n.is_empty()) {
                    params.module_name = name.to_string();
                }
            }
            // Every other internal key varies between ansible-core versions: accept and ignore.
            k if k.starts_with("_ansible_") => {}
            _ => {
                given.insert(key, value);
            }
        }
    }
    (given, ignore_unknown)
}

fn present(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).is_some_and(|v| !v.is_null())
}

/// Mutually exclusive options given together, then required options missing.
fn group_problems(spec: &ArgSpec, given: &Map<String, Value>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let clashes: Vec<String> = spec
        .mutually_exclusive
        .iter()
        .filter(|group| group.iter().filter(|k| present(given, k)).count() > 1)
        .map(|group| group.join("|"))
        .collect();
    if !clashes.is_empty() {
        problems.push(Problem::Other(format!(
            "parameters are mutually exclusive: {}",
            clashes.join(", ")
        )));
    }
    let mut missing: Vec<&str> = spec
        .options
        .iter()
        // An explicit null is missing too: AnsibleModule would turn it into the string "None".
        .filter(|o| o.required && !present(given, o.name))
        .map(|o| o.name)
        .collect();
    missing.sort_unstable();
    if !missing.is_empty() {
        problems.push(Problem::Other(format!(
            "missing required arguments: {}",
            missing.join(", ")
        )));
    }
    problems
}

/// Converts each given option to its kind, in place.
fn coerce_all(spec: &ArgSpec, given: &mut Map<String, Value>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for opt in &spec.options {
        let Some(value) = given.get(opt.name).filter(|v| !v.is_null()) else {
            continue;
        };
        match coerce(opt.kind, value) {
            Ok(v) => {
                given.insert(opt.name.to_string(), v);
            }
            Err(why) => problems.push(Problem::Other(format!(
                "argument '{}' is of type {} and we were unable to convert to {}: {}",
                opt.name,
                py_type(value),
                opt.kind.name(),
                why
            ))),
        }
    }
    problems
}

fn choice_problems(spec: &ArgSpec, given: &Map<String, Value>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for opt in spec.options.iter().filter(|o| !o.choices.is_empty()) {
        if let Some(v) = given.get(opt.name).filter(|v| !v.is_null()) {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            if !opt.choices.contains(&text.as_str()) {
                problems.push(Problem::Other(format!(
                    "value of {} must be one of: {}, got: {}",
                    opt.name,
                    opt.choices.join(", "),
                    text
                )));
            }
        }
    }
    problems
}

/// required_together, then required_one_of.
fn rule_problems(spec: &ArgSpec, given: &Map<String, Value>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for group in &spec.required_together {
        let n = group.iter().filter(|k| present(given, k)).count();
        if n > 0 && n < group.len() {
            problems.push(Problem::Other(format!(
                "parameters are required together: {}",
                group.join(", ")
            )));
        }
    }
    for group in &spec.required_one_of {
        if !group.iter().any(|k| present(given, k)) {
            problems.push(Problem::Other(format!(
                "one of the following is required: {}",
                group.join(", ")
            )));
        }
    }
    problems
}

fn unsupported(spec: &ArgSpec, given: &Map<String, Value>) -> Option<Problem> {
    let mut unknown: Vec<&str> = given
        .keys()
        .map(String::as_str)
        .filter(|k| spec.get(k).is_none())
        .collect();
    if unknown.is_empty() {
        return None;
    }
    unknown.sort_unstable();
    // `_` options are set by the action plugins, never by a user: naming them would invite a user
    // to set them.
    let mut supported: Vec<&str> = spec
        .options
        .iter()
        .map(|o| o.name)
        .filter(|name| !name.starts_with('_'))
        .collect();
    supported.sort_unstable();
    Some(Problem::Unsupported(format!(
        "{}. Supported parameters include: {}.",
        unknown.join(", "),
        supported.join(", ")
    )))
}

/// Every option of the spec gets a value: the given one, else its default, else null.
fn fill(spec: &ArgSpec, mut given: Map<String, Value>, params: &mut Params) {
    for opt in &spec.options {
        let value = match given.remove(opt.name) {
            Some(v) if !v.is_null() => v,
            _ => opt.default.clone().unwrap_or(Value::Null),
        };
        params.values.insert(opt.name.to_string(), value);
        if opt.no_log {
            params.masked.push(opt.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Opt;
    use serde_json::json;

    fn spec() -> ArgSpec {
        ArgSpec::new(vec![
            Opt::str("jid"),
            Opt::str("alias"),
            Opt::str("mode")
                .choices(&["status", "cleanup", "full_cleanup"])
                .default("status"),
            Opt::bool("force").default(false),
            Opt::int("retries"),
            Opt::str("secret").no_log(),
            Opt::str("_async_dir"),
        ])
        .exactly_one_of(&["jid", "alias"])
    }

    fn check(args: Value) -> Result<Params, String> {
        let Value::Object(m) = args else {
            panic!("object")
        };
        validate("demo", &spec(), m)
    }

    #[test]
    fn coerces_and_fills_defaults() {
        let p = check(
            json!({"jid": "j1.2", "force": "yes", "retries": "3", "_ansible_check_mode": true}),
        )
        .unwrap();
        assert_eq!(p.str("jid"), Some("j1.2"));
        assert!(p.bool("force"));
        assert_eq!(p.int("retries"), Some(3));
        assert_eq!(p.str("mode"), Some("status"));
        assert!(p.check_mode);
    }

    #[test]
    fn messages_match_ansible_module() {
        assert_eq!(
            check(json!({"jid": "a", "alias": "b"})).unwrap_err(),
            "parameters are mutually exclusive: jid|alias"
        );
        assert_eq!(
            check(json!({})).unwrap_err(),
            "one of the following is required: jid, alias"
        );
        assert_eq!(
            check(json!({"jid": "a", "mode": "bogus"})).unwrap_err(),
            "value of mode must be one of: status, cleanup, full_cleanup, got: bogus"
        );
        assert_eq!(
            check(json!({"jid": "a", "retries": "x"})).unwrap_err(),
            "argument 'retries' is of type str and we were unable to convert to int: \"'x'\" cannot be converted to an int"
        );
        assert_eq!(
            check(json!({"jid": "a", "zzz": 1, "aaa": 2, "_ansible_module_name": "ns.c.demo"})).unwrap_err(),
            "Unsupported parameters for (ns.c.demo) module: aaa, zzz. Supported parameters include: alias, force, jid, mode, retries, secret."
        );
        let required = ArgSpec::new(vec![Opt::str("b").required(), Opt::str("a").required()]);
        assert_eq!(
            validate("m", &required, Map::new()).unwrap_err(),
            "missing required arguments: a, b"
        );
        // A null is no value: the body must never see a required option without one.
        let nulls = json!({"a": null, "b": "x"}).as_object().cloned().unwrap();
        assert_eq!(
            validate("m", &required, nulls).unwrap_err(),
            "missing required arguments: a"
        );
    }

    #[test]
    fn ignores_unknown_internal_keys_and_honours_ignore_unknown_opts() {
        assert!(check(json!({"jid": "a", "_ansible_brand_new_key": [1]})).is_ok());
        assert!(
            check(json!({"jid": "a", "extra": 1, "_ansible_ignore_unknown_opts": true})).is_ok()
        );
    }

    #[test]
    fn invocation_masks_no_log_options() {
        let p = check(json!({"jid": "a", "secret": "hunter2"})).unwrap();
        assert_eq!(p.invocation()["module_args"]["secret"], json!(NO_LOG_MASK));
        assert_eq!(p.invocation()["module_args"]["jid"], json!("a"));
    }
}
