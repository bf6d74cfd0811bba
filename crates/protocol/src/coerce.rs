// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Type coercion with AnsibleModule's rules, because `ansible -a k=v` and `key=value` task syntax
//! deliver every value as a string.

use crate::spec::Kind;
use serde_json::{Map, Number, Value};

const TRUE_WORDS: &[&str] = &["y", "yes", "on", "1", "true", "t"];
const FALSE_WORDS: &[&str] = &["n", "no", "off", "0", "false", "f"];
const VALID_BOOLEANS: &str =
    "'y', 'yes', 'on', '1', 'true', 't', 1, 1.0, True, 'n', 'no', 'off', '0', 'false', 'f', 0, 0.0, False";

/// Python's type name for a JSON value, as AnsibleModule prints it in messages.
pub(crate) fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `repr()` of a scalar, for messages that quote a value.
fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Python's `str()` of a value, used when a non-string is given for a `str` option.
fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

pub(crate) fn coerce(kind: Kind, value: &Value) -> Result<Value, String> {
    match kind {
        Kind::Raw => Ok(value.clone()),
        Kind::Str => Ok(Value::String(py_str(value))),
        Kind::Bool => to_bool(value).map(Value::Bool),
        Kind::Int => to_int(value).map(|i| Value::Number(i.into())),
        Kind::Float => to_float(value),
        Kind::Dict => to_dict(value).map(Value::Object),
        Kind::List => Ok(Value::Array(to_list(value))),
    }
}

pub(crate) fn to_bool(value: &Value) -> Result<bool, String> {
    let word = match value {
        Value::Bool(b) => return Ok(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => return Ok(true),
            Some(0.0) => return Ok(false),
            _ => n.to_string(),
        },
        // The accepted words are ASCII, so ASCII folding accepts exactly what str.lower() would.
        Value::String(s) => s.trim().to_ascii_lowercase(),
        other => {
            return Err(format!(
                "<class '{}'> cannot be converted to a bool",
                py_type(other)
            ))
        }
    };
    if TRUE_WORDS.contains(&word.as_str()) {
        Ok(true)
    } else if FALSE_WORDS.contains(&word.as_str()) {
        Ok(false)
    } else {
        Err(format!(
            "The value '{}' is not a valid boolean. Valid booleans include: {VALID_BOOLEANS}",
            py_str(value)
        ))
    }
}

fn to_int(value: &Value) -> Result<i64, String> {
    let fail = || format!("\"{}\" cannot be converted to an int", py_repr(value));
    match value {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(f as i64),
            _ => Err(fail()),
        },
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(i);
            }
            // Decimal strings like "5.0" are integral for AnsibleModule; "5.5" is not.
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(f as i64),
                _ => Err(fail()),
            }
        }
        _ => Err(fail()),
    }
}

fn to_float(value: &Value) -> Result<Value, String> {
    let f = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    f.and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| {
            format!(
                "<class '{}'> cannot be converted to a float",
                py_type(value)
            )
        })
}

fn to_dict(value: &Value) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(m) => Ok(m.clone()),
        Value::String(s) if s.starts_with('{') => match crate::json::parse(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err("unable to evaluate string as dictionary".into()),
        },
        Value::String(s) if s.contains('=') => key_value_dict(s),
        Value::String(_) => Err("dictionary requested, could not parse JSON or key=value".into()),
        other => Err(format!(
            "<class '{}'> cannot be converted to a dict",
            py_type(other)
        )),
    }
}

/// `k1=v1, k2="v 2"` → dict, with AnsibleModule's quoting and escaping rules.
fn key_value_dict(s: &str) -> Result<Map<String, Value>, String> {
    let mut fields = Vec::new();
    let mut buf = String::new();
    let mut quote: Option<char> = None;
    let mut escape = false;
    for c in s.trim().chars() {
        if escape {
            buf.push(c);
            escape = false;
        } else if c == '\\' {
            escape = true;
        } else if quote.is_none() && (c == '\'' || c == '"') {
            quote = Some(c);
        } else if quote == Some(c) {
            quote = None;
        } else if quote.is_none() && (c == ',' || c == ' ') {
            if !buf.is_empty() {
                fields.push(std::mem::take(&mut buf));
            }
        } else {
            buf.push(c);
        }
    }
    if !buf.is_empty() {
        fields.push(buf);
    }
    let mut map = Map::new();
    for field in fields {
        let (k, v) = field
            .split_once('=')
            .ok_or("unable to evaluate string in the \"key=value\" format as dictionary")?;
        map.insert(k.to_string(), Value::String(v.to_string()));
    }
    Ok(map)
}

fn to_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(a) => a.clone(),
        Value::String(s) => s.split(',').map(|p| Value::String(p.to_string())).collect(),
        other => vec![Value::String(py_str(other))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bools_accept_ansible_words_in_any_case() {
        for t in ["yes", "YES", "on", "1", "true", "True", "y", "t", " yes "] {
            assert_eq!(to_bool(&json!(t)), Ok(true), "{t}");
        }
        for f in ["no", "off", "0", "false", "FALSE", "n", "f"] {
            assert_eq!(to_bool(&json!(f)), Ok(false), "{f}");
        }
        assert_eq!(to_bool(&json!(1)), Ok(true));
        assert_eq!(to_bool(&json!(0.0)), Ok(false));
        let err = to_bool(&json!("maybe")).unwrap_err();
        assert!(err
            .starts_with("The value 'maybe' is not a valid boolean. Valid booleans include: 'y'"));
        assert_eq!(
            to_bool(&json!([1])).unwrap_err(),
            "<class 'list'> cannot be converted to a bool"
        );
    }

    #[test]
    fn ints_from_strings_and_integral_decimals() {
        assert_eq!(to_int(&json!("42")), Ok(42));
        assert_eq!(to_int(&json!(" 7 ")), Ok(7));
        assert_eq!(to_int(&json!("5.0")), Ok(5));
        assert_eq!(to_int(&json!(3.0)), Ok(3));
        assert_eq!(
            to_int(&json!("5.5")).unwrap_err(),
            "\"'5.5'\" cannot be converted to an int"
        );
        assert_eq!(
            to_int(&json!("abc")).unwrap_err(),
            "\"'abc'\" cannot be converted to an int"
        );
    }

    #[test]
    fn dicts_from_json_and_key_value_strings() {
        assert_eq!(to_dict(&json!("{\"a\": 1}")).unwrap()["a"], json!(1));
        let kv = to_dict(&json!("a=1, b='two words' c=\"x=y\"")).unwrap();
        assert_eq!(kv["a"], json!("1"));
        assert_eq!(kv["b"], json!("two words"));
        assert_eq!(kv["c"], json!("x=y"));
        assert_eq!(
            to_dict(&json!("plain")).unwrap_err(),
            "dictionary requested, could not parse JSON or key=value"
        );
        assert_eq!(
            to_dict(&json!(5)).unwrap_err(),
            "<class 'int'> cannot be converted to a dict"
        );
    }

    #[test]
    fn strings_take_python_str_of_scalars() {
        assert_eq!(coerce(Kind::Str, &json!(5)), Ok(json!("5")));
        assert_eq!(coerce(Kind::Str, &json!(true)), Ok(json!("True")));
        assert_eq!(coerce(Kind::List, &json!("a,b")), Ok(json!(["a", "b"])));
    }
}
