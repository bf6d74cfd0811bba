// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! A panic in a module body must reach Ansible as one failed JSON object, with no Rust backtrace,
//! even with RUST_BACKTRACE=1. The test re-runs its own binary as the module process.

use protocol::{run_with_args_file, ArgSpec, Opt};
use std::process::Command;

const CHILD: &str = "PROTOCOL_PANIC_CHILD";

#[test]
fn panic_becomes_a_failed_result() {
    if let Some(args) = std::env::var_os(CHILD) {
        let spec = ArgSpec::new(vec![Opt::str("x")]);
        let _ = run_with_args_file("boom", &spec, Some(args), |_| panic!("kaboom"));
        unreachable!("the panic hook exits the process");
    }
    let dir = std::env::temp_dir().join(format!("protocol-panic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let args = dir.join("args");
    std::fs::write(&args, r#"{"x": "1"}"#).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "panic_becomes_a_failed_result",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // libtest prints "test <name> ... " first, on the same line; the module's answer follows it.
    let last = stdout.lines().last().unwrap_or_default();
    let json = &last[last.find('{').expect("a JSON object")..];
    let result: serde_json::Value = serde_json::from_str(json).expect("one JSON object");
    assert_eq!(result["failed"], serde_json::json!(true));
    let msg = result["msg"].as_str().unwrap();
    assert!(
        msg.contains("internal error in module boom: kaboom"),
        "{msg}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !stderr.contains("stack backtrace") && !stderr.contains("panicked at"),
        "{stderr}"
    );
    assert!(!stdout.contains("stack backtrace"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
