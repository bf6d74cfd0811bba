// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A client's extra vars as the YAML file ansible-playbook reads with `-e @FILE`, where every
//! string that could hold a template, mapping keys included and at any depth, carries Ansible's
//! `!unsafe` tag: ansible-core then never renders it (AWX marks launch-time vars the same way).
//! Plain JSON in that file would be trusted data, and `{{ lookup('pipe', ...) }}` in a value
//! would run.
//!
//! Not every string is tagged: ansible-core 2.19 and later construct a `!unsafe` scalar by
//! resolving its text again as if it were plain, so `!unsafe "123"` arrives as the integer 123,
//! `!unsafe "true"` as a boolean, `!unsafe ""` as None, and `!unsafe "*"` fails to load.
//! A string made only of the characters YAML 1.1's implicit types use ([`PLAIN_LOOKALIKE`]) is
//! written double-quoted without the tag: every version reads it as that string, and it holds no
//! `{` (each Jinja delimiter starts with one) and no `#` (a `#jinja2:` header changes the
//! delimiters), so there is nothing in it to render. Every other string is tagged; no implicit
//! type matches it, so 2.19 reads it back as a string too.
//!
//! Our own emitter, not serde_yaml: see docs/design.md. The output is ASCII only, one
//! flow-style line, so nothing depends on indentation, line folding or which characters a YAML
//! reader accepts unescaped; tests/service/test_extra_vars_data.py loads it with each
//! ansible-core of the matrix.

use std::fmt::Write;

use serde_json::{Map, Value};

/// The whole file: one flow mapping, then a newline.
pub fn unsafe_yaml(vars: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(64);
    mapping(&mut out, vars);
    out.push('\n');
    out
}

fn mapping(out: &mut String, m: &Map<String, Value>) {
    out.push('{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // An explicit key (`? `): a YAML reader gives up on an implicit key longer than 1024
        // characters, and a nested key can be as long as the body allows.
        out.push_str("? ");
        unsafe_string(out, k);
        out.push_str(" : ");
        value(out, v);
    }
    out.push('}');
}

fn value(out: &mut String, v: &Value) {
    match v {
        // Not strings, so nothing a template engine would render; they keep their JSON types.
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) if n.is_f64() => {
            // YAML 1.1 (PyYAML) reads `1e+20` untagged as a string (its floats need a dot): the tag
            // keeps it a float.
            out.push_str("!!float ");
            out.push_str(&n.to_string());
        }
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => unsafe_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(out, item);
            }
            out.push(']');
        }
        Value::Object(m) => mapping(out, m),
    }
}

/// Every character PyYAML's implicit resolvers (bool, int, float, null, timestamp, merge, value,
/// and the `!`, `&`, `*` it refuses) can match, and the newline: their patterns end in `$`, which
/// in Python also matches before a final `\n`, so a tagged `"123\n"` would arrive as 123 on 2.19+.
/// A string of these only may resolve to another type when tagged, and cannot hold a template.
const PLAIN_LOOKALIKE: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 \t\n._:+-~<=!&*";

fn lookalike(s: &str) -> bool {
    s.bytes().all(|b| PLAIN_LOOKALIKE.contains(&b))
}

/// `!unsafe "..."` (or `"..."`, see the module doc): a double-quoted scalar whose only unescaped
/// characters are printable ASCII.
fn unsafe_string(out: &mut String, s: &str) {
    if !lookalike(s) {
        out.push_str("!unsafe ");
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            // `write!` into a String cannot fail.
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn emit(v: Value) -> String {
        match v {
            Value::Object(m) => unsafe_yaml(&m),
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn every_string_that_could_be_a_template_is_tagged_keys_included() {
        assert_eq!(
            emit(json!({"greeting": "{{ lookup('pipe', 'id') }}"})),
            "{? \"greeting\" : !unsafe \"{{ lookup('pipe', 'id') }}\"}\n"
        );
        assert_eq!(
            emit(json!({"a": {"{{ k }}": ["{% x %}", {"n": "{# c #}"}]}})),
            "{? \"a\" : {? !unsafe \"{{ k }}\" : [!unsafe \"{% x %}\", {? \"n\" : !unsafe \"{# c #}\"}]}}\n"
        );
        // A header that changes the delimiters, then a template without a brace.
        assert_eq!(
            emit(json!({"h": "#jinja2:variable_start_string:'[['\n[[ x ]]", "b": "{", "p": "50%", "s": "a/b", "q": "a\"b"})),
            "{? \"h\" : !unsafe \"#jinja2:variable_start_string:'[['\\x0A[[ x ]]\", ? \"b\" : !unsafe \"{\", \
             ? \"p\" : !unsafe \"50%\", ? \"s\" : !unsafe \"a/b\", ? \"q\" : !unsafe \"a\\\"b\"}\n"
        );
    }

    #[test]
    fn strings_that_look_like_other_types_stay_untagged_strings() {
        for s in [
            "123",
            "",
            "true",
            "yes",
            "null",
            "~",
            "1.5",
            "2001-12-14 21:59:43.10 -5",
            "<<",
            "=",
            "*",
            "!",
            "&",
            "0x1F",
            "1:20",
            ".inf",
            "hello world",
        ] {
            assert!(lookalike(s), "{s:?}");
            assert_eq!(emit(json!({"k": s})), format!("{{? \"k\" : \"{s}\"}}\n"));
        }
        // A final newline: escaped, and untagged like the rest.
        for s in ["123\n", "true\n", "~\n", "2001-12-14\n", "*\n", "a\nb"] {
            assert!(lookalike(s), "{s:?}");
            assert!(!emit(json!({"k": s})).contains("!unsafe"), "{s:?}");
        }
        assert_eq!(emit(json!({"k": "1\n"})), "{? \"k\" : \"1\\x0A\"}\n");
        for s in [
            "{", "}", "#", "%", "a\nb{", "é", "\"", "\\", "'", "a,b", "[", "$x", "`id`", "a;b",
            "a|b", "a\tb{",
        ] {
            assert!(!lookalike(s), "{s:?}");
        }
    }

    #[test]
    fn other_scalars_keep_their_types() {
        assert_eq!(
            emit(
                json!({"i": -3, "u": 18446744073709551615u64, "f": 1.5, "e": 1e20, "t": true, "b": false, "z": null, "l": [], "m": {}})
            ),
            "{? \"i\" : -3, ? \"u\" : 18446744073709551615, ? \"f\" : !!float 1.5, \
             ? \"e\" : !!float 1e+20, ? \"t\" : true, ? \"b\" : false, \
             ? \"z\" : null, ? \"l\" : [], ? \"m\" : {}}\n"
        );
        assert_eq!(emit(json!({})), "{}\n");
    }

    #[test]
    fn quoting_leaves_only_printable_ascii() {
        let out = emit(
            json!({"s": "a\"b\\c\nd\te\u{0}\u{7f}\u{85}é\u{feff}\u{fffe}😀 #: ,]} &*!|>'%@`"}),
        );
        assert_eq!(
            out,
            "{? \"s\" : !unsafe \"a\\\"b\\\\c\\x0Ad\\x09e\\x00\\x7F\\x85\\xE9\\uFEFF\\uFFFE\\U0001F600 #: ,]} &*!|>'%@`\"}\n"
        );
        assert!(out
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) || b == b'\n'));
    }

    #[test]
    fn long_keys_stay_keys() {
        let key = "k{".repeat(3000);
        let out = emit(json!({"a": {key.clone(): 1}}));
        assert!(out.contains(&format!("? !unsafe \"{key}\" : 1")));
    }
}
