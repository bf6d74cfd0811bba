// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! The record binaries as Ansible runs them: an args file in, one JSON object out.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pkcs8::der::Encode;
use pkcs8::pkcs5::pbes2;
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fresh_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("controller-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Ran {
    stdout: String,
    stderr: String,
    result: Value,
    took: Duration,
}

/// Runs a binary; kills it after `limit` (a hung module is a failed test, not a hung test).
fn run(bin: &str, dir: &Path, args: Value, limit: Duration) -> Ran {
    let file = dir.join(format!("args-{}.json", Instant::now().elapsed().as_nanos()));
    std::fs::write(&file, args.to_string()).unwrap();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} ran for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let took = started.elapsed();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let result = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("not one JSON object ({e}): stdout {stdout:?}, stderr {stderr:?}")
    });
    Ran {
        stdout,
        stderr,
        result,
        took,
    }
}

const SAVE: &str = env!("CARGO_BIN_EXE_async_job_save");
const LOAD: &str = env!("CARGO_BIN_EXE_async_job_load");

/// An encrypted PKCS#8 key with the given PBES2 parameters. The ciphertext is junk: a module that
/// checks the KDF cost first never gets to decrypt it.
fn hostile_key(kdf: pbes2::Kdf) -> String {
    let iv = [7u8; 16];
    let params = pbes2::Parameters {
        kdf,
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: &iv },
    };
    let junk = [0u8; 1232];
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: params.into(),
        encrypted_data: &junk,
    };
    pem::encode(&pem::Pem::new(
        "ENCRYPTED PRIVATE KEY",
        info.to_der().unwrap(),
    ))
}

#[test]
fn hostile_key_derivation_costs_fail_fast_with_json() {
    let d = fresh_dir("hostile");
    let salt = [1u8; 16];
    let keys = [
        (
            "pbkdf2",
            pbes2::Kdf::Pbkdf2(pbes2::Pbkdf2Params {
                salt: &salt,
                iteration_count: u32::MAX,
                key_length: None,
                prf: pbes2::Pbkdf2Prf::HmacWithSha256,
            }),
            "4294967295 PBKDF2 iterations",
        ),
        (
            "scrypt",
            pbes2::Kdf::Scrypt(pbes2::ScryptParams {
                salt: &salt,
                cost_parameter: 1 << 40,
                block_size: 8,
                parallelization: 1,
                key_length: None,
            }),
            "scrypt parameters (N=1099511627776, r=8, p=1)",
        ),
        (
            "scrypt-p",
            pbes2::Kdf::Scrypt(pbes2::ScryptParams {
                salt: &salt,
                cost_parameter: 1 << 14,
                block_size: 8,
                parallelization: u16::MAX,
                key_length: None,
            }),
            "scrypt parameters (N=16384, r=8, p=65535)",
        ),
    ];
    for (name, kdf, expected) in keys {
        let key = d.join(format!("{name}.pem"));
        std::fs::write(&key, hostile_key(kdf)).unwrap();
        let config = d.join(format!("{name}.config"));
        std::fs::write(
            &config,
            format!(
                "[DEFAULT]\nuser=ocid1.user.oc1..u\ntenancy=ocid1.tenancy.oc1..t\nregion=us-ashburn-1\n\
                 key_file={}\npass_phrase=pw\n",
                key.display()
            ),
        )
        .unwrap();
        for validate_only in [false, true] {
            let mut args = json!({"job_name": "j", "host": "h", "playbook_name": "p",
                                  "ansible_job_id": "j1.1", "backend": "oci", "oci_bucket": "b",
                                  "oci_namespace": "n", "oci_config_file": config,
                                  "oci_endpoint": "http://127.0.0.1:9"});
            if validate_only {
                args["_validate_only"] = json!(true);
            }
            let ran = run(SAVE, &d, args, Duration::from_secs(20));
            let msg = ran.result["msg"].as_str().unwrap_or_default();
            assert_eq!(ran.result["failed"], json!(true), "{name}: {}", ran.stdout);
            assert!(msg.contains(expected), "{name}: {msg}");
            assert!(msg.contains("openssl pkcs8"), "{name}: {msg}");
            assert!(ran.stderr.is_empty(), "{name}: stderr {:?}", ran.stderr);
            assert!(
                ran.took < Duration::from_secs(3),
                "{name}: took {:?}",
                ran.took
            );
        }
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn floats_survive_a_save_and_a_load_bit_for_bit() {
    let d = fresh_dir("floats");
    let floats = [
        "-90999999980.90001",
        "0.30000000000000004",
        "1.7976931348623157e308",
        "5e-324",
        "-2.2250738585072014e-308",
        "123456789.12345679",
    ];
    let metadata = format!(
        "{{{}}}",
        floats
            .iter()
            .enumerate()
            .map(|(i, f)| format!("\"f{i}\": {f}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let state = d.join("records");
    let args = format!(
        "{{\"job_name\": \"j\", \"host\": \"h\", \"playbook_name\": \"p\", \"ansible_job_id\": \"j1.1\", \
         \"state_dir\": {:?}, \"metadata\": {metadata}}}",
        state.display().to_string()
    );
    let file = d.join("save.json");
    std::fs::write(&file, args).unwrap();
    let out = Command::new(SAVE).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stored = std::fs::read_to_string(state.join("h/p/j.json")).unwrap();
    let loaded = run(
        LOAD,
        &d,
        json!({"job_name": "j", "host": "h", "playbook_name": "p", "state_dir": state}),
        Duration::from_secs(20),
    );
    assert_eq!(loaded.result["found"], json!(true), "{}", loaded.stdout);
    for (i, f) in floats.iter().enumerate() {
        let want: f64 = f.parse().unwrap();
        // The text itself: shortest round-trip form, so the same digits as given.
        let shown = serde_json::to_string(&want).unwrap();
        assert!(
            stored.contains(&format!("\"f{i}\": {shown}")),
            "f{i}={f} stored as: {stored}"
        );
        assert!(
            loaded.stdout.contains(&format!("\"f{i}\":{shown}")),
            "f{i}={f} loaded as: {}",
            loaded.stdout
        );
        assert_eq!(
            loaded.result["metadata"][format!("f{i}")].as_f64(),
            Some(want)
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn validate_only_checks_everything_and_touches_nothing() {
    let d = fresh_dir("validate");
    let state = d.join("records");
    let base = json!({"job_name": "j", "host": "h", "playbook_name": "p", "state_dir": state,
                      "metadata": {"a": 1}, "_validate_only": true});
    let ran = run(SAVE, &d, base.clone(), Duration::from_secs(20));
    assert_eq!(ran.result["failed"], json!(null), "{}", ran.stdout);
    assert_eq!(ran.result["changed"], json!(false));
    let bad = |patch: Value, expected: &str| {
        let mut args = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            args[k] = v.clone();
        }
        let ran = run(SAVE, &d, args.clone(), Duration::from_secs(20));
        let msg = ran.result["msg"].as_str().unwrap_or_default().to_string();
        assert!(msg.starts_with(expected), "{args}: {msg}");
        // The same message as the real save.
        args["_validate_only"] = json!(false);
        args["ansible_job_id"] = json!("j1.1");
        let real = run(SAVE, &d, args, Duration::from_secs(20));
        assert_eq!(real.result["msg"].as_str(), Some(msg.as_str()));
    };
    bad(
        json!({"job_name": "../escape"}),
        "invalid job_name \"../escape\"",
    );
    // A state dir that is a file: refused before async_task starts anything, as the save says.
    let file = d.join("a-file");
    std::fs::write(&file, "").unwrap();
    bad(
        json!({"state_dir": file}),
        &format!("state_dir {} is not a directory", file.display()),
    );
    bad(
        json!({"stat_dir": "x"}),
        "Unsupported parameters for (async_job_save) module: stat_dir",
    );
    bad(
        json!({"backend": "oci"}),
        "backend is oci but all of the following are missing: oci_bucket",
    );
    bad(
        json!({"backend": "oci", "oci_bucket": "b", "oci_timeout": 0}),
        "oci_timeout must be a positive number",
    );
    bad(
        json!({"backend": "oci", "oci_bucket": "b", "oci_config_file": d.join("none")}),
        "OCI config: cannot read",
    );
    let key = d.join("key.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success());
    let config = |region: &str, key: &Path| {
        let path = d.join(format!("config-{}", region.len()));
        std::fs::write(
            &path,
            format!(
                "[DEFAULT]\nuser=u\ntenancy=t\nregion={region}\nkey_file={}\n",
                key.display()
            ),
        )
        .unwrap();
        path
    };
    let oci =
        |config: PathBuf| json!({"backend": "oci", "oci_bucket": "b", "oci_config_file": config});
    bad(
        oci(config("us-ashburn-1", &d.join("no-key.pem"))),
        "OCI API key: cannot read",
    );
    bad(
        oci(config("evil.example#", &key)),
        "OCI config: invalid region \"evil.example#\"",
    );
    let good = json!({"backend": "oci", "oci_bucket": "b", "oci_config_file": config("us-phoenix-1", &key)});
    let mut args = base.clone();
    for (k, v) in good.as_object().unwrap() {
        args[k] = v.clone();
    }
    let ran = run(SAVE, &d, args, Duration::from_secs(20));
    assert_eq!(ran.result["failed"], json!(null), "{}", ran.stdout);
    assert!(!state.exists(), "validation created the store");
    std::fs::remove_dir_all(&d).unwrap();
}
