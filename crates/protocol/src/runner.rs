// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The process boundary: argv, the args file, stdout and the exit code.

use crate::response::{Failure, Response};
use crate::spec::ArgSpec;
use crate::validate::{validate, Params};
use serde_json::{Map, Value};
use std::io::Write;
use std::process::ExitCode;

/// Runs a module body from a raw args-file text and returns the result object.
/// Pure apart from what `body` does, so tests drive it without a process.
pub fn execute(
    name: &str,
    spec: &ArgSpec,
    args_text: &str,
    body: impl FnOnce(&Params) -> Result<Response, Failure>,
) -> Map<String, Value> {
    answer(name, spec, args_text, body).into_map()
}

/// [`execute`], keeping the keys the body encoded already as text.
fn answer(
    name: &str,
    spec: &ArgSpec,
    args_text: &str,
    body: impl FnOnce(&Params) -> Result<Response, Failure>,
) -> Response {
    let failed = |f: Failure| Response::from_map(f.into_map());
    let raw = match crate::json::parse(args_text) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            return failed(Failure::new(format!(
                "module arguments must be a JSON object, got {}",
                kind_of(&other)
            )))
        }
        Err(e) => {
            return failed(Failure::new(format!(
                "module arguments are not valid JSON: {e}"
            )))
        }
    };
    let params = match validate(name, spec, raw) {
        Ok(p) => p,
        Err(msg) => return failed(Failure::new(msg)),
    };
    let mut result = body(&params).unwrap_or_else(failed);
    if !params.no_log && result.get("invocation").is_none() {
        result.set("invocation", params.invocation());
    }
    result
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "a list",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Object(_) => "an object",
    }
}

/// The whole life of a module process: `<binary> <args file>` (or `<binary> -` with the
/// arguments on stdin) in, one JSON line out.
pub fn run(
    name: &str,
    spec: &ArgSpec,
    body: impl FnOnce(&Params) -> Result<Response, Failure>,
) -> ExitCode {
    run_with_args_file(name, spec, std::env::args_os().nth(1), body)
}

/// `run` with the args file path given explicitly (`argv[1]` in a real module).
pub fn run_with_args_file(
    name: &str,
    spec: &ArgSpec,
    args_file: Option<std::ffi::OsString>,
    body: impl FnOnce(&Params) -> Result<Response, Failure>,
) -> ExitCode {
    install_panic_hook(name.to_string());
    let result = match args_file {
        None => Response::from_map(
            Failure::new(format!(
            "{name} is an Ansible module: run it from a playbook, or by hand as `{name} ARGS.json`"
        ))
            .into_map(),
        ),
        // `-`: the arguments come on stdin, so a binary cached on the target runs in one round
        // trip without an args file.
        Some(path) if path == "-" => match std::io::read_to_string(std::io::stdin()) {
            Ok(text) => answer(name, spec, &text, body),
            Err(e) => Response::from_map(
                Failure::new(format!(
                    "could not read the module arguments from stdin: {e}"
                ))
                .into_map(),
            ),
        },
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => answer(name, spec, &text, body),
            Err(e) => Response::from_map(
                Failure::new(format!(
                    "could not read the module arguments file {}: {e}",
                    path.to_string_lossy()
                ))
                .into_map(),
            ),
        },
    };
    emit(&result)
}

fn emit(result: &Response) -> ExitCode {
    let failed = result
        .get("failed")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // One buffer, written in one call: a result is never half written, and a panic while
    // encoding leaves stdout empty for the panic hook's own result.
    let mut line: Vec<u8> = Vec::new();
    result.write_to(&mut line);
    line.push(b'\n');
    // Nothing useful can be done if stdout is gone; the controller reports the missing output.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&line);
    let _ = out.flush();
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// A bug must still reach the user as a failed task, not as a Rust backtrace or garbled stdout.
fn install_panic_hook(name: String) {
    std::panic::set_hook(Box::new(move |info| {
        let detail = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg =
            format!("internal error in module {name}: {detail}{place}. Please report this bug.");
        let mut m = Response::from_map(Failure::new(msg).into_map());
        m.set("rc", 1);
        let _ = emit(&m);
        std::process::exit(1);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Opt;
    use serde_json::json;

    fn spec() -> ArgSpec {
        ArgSpec::new(vec![Opt::str("name").required()])
    }

    #[test]
    fn bad_args_text_becomes_a_failed_result() {
        let r = execute("m", &spec(), "not json", |_| Ok(Response::new(false)));
        assert_eq!(r["failed"], json!(true));
        assert!(r["msg"]
            .as_str()
            .unwrap()
            .starts_with("module arguments are not valid JSON"));
        let r = execute("m", &spec(), "[1]", |_| Ok(Response::new(false)));
        assert_eq!(
            r["msg"],
            json!("module arguments must be a JSON object, got a list")
        );
    }

    #[test]
    fn body_results_get_invocation_unless_no_log() {
        let r = execute("m", &spec(), r#"{"name": "x"}"#, |p| {
            Ok(Response::new(true).with("echo", p.str("name").unwrap_or_default()))
        });
        assert_eq!(r["changed"], json!(true));
        assert_eq!(r["echo"], json!("x"));
        assert_eq!(r["invocation"]["module_args"]["name"], json!("x"));
        let r = execute(
            "m",
            &spec(),
            r#"{"name": "x", "_ansible_no_log": true}"#,
            |_| Ok(Response::new(false)),
        );
        assert!(r.get("invocation").is_none());
    }

    #[test]
    fn encoded_keys_keep_their_place_and_text() {
        let mut r = Response::new(false);
        r.set("a", 1)
            .set_encoded("jobs", &vec![json!({"jid": "j1.1", "names": ["x"]})])
            .set("z", "last");
        let mut text = Vec::new();
        r.write_to(&mut text);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            r#"{"changed":false,"a":1,"jobs":[{"jid":"j1.1","names":["x"]}],"z":"last"}"#
        );
        assert_eq!(r.get("jobs"), Some(&Value::Null));
        let m = execute("m", &spec(), r#"{"name": "x"}"#, |_| Ok(r.clone()));
        assert_eq!(m["jobs"], json!([{"jid": "j1.1", "names": ["x"]}]));
        // A plain set replaces an encoded key, and the text with it.
        r.set("jobs", 2);
        let mut text = Vec::new();
        r.write_to(&mut text);
        assert!(String::from_utf8(text).unwrap().contains(r#""jobs":2"#));
    }

    #[test]
    fn failures_carry_extra_keys() {
        let r = execute("m", &spec(), r#"{"name": "x"}"#, |_| {
            Err(Failure::new("boom").with("path", "/tmp/x"))
        });
        assert_eq!(r["failed"], json!(true));
        assert_eq!(r["changed"], json!(false));
        assert_eq!(r["path"], json!("/tmp/x"));
    }
}
