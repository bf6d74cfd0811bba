// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Key files in every form the OCI tools write, made by openssl, and the errors users get for the
//! ones that cannot work. (Signatures are checked against the official SDK in tests/oci.)
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oci::SigningKey;
use std::path::{Path, PathBuf};
use std::process::Command;

fn openssl(args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "openssl {args:?} failed");
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("oci-keys-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn path(d: &Path, name: &str) -> String {
    d.join(name).to_string_lossy().into_owned()
}

#[test]
fn key_forms_and_their_errors() {
    let d = dir();
    let pkcs8 = path(&d, "pkcs8.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &pkcs8,
    ]);
    openssl(&[
        "rsa",
        "-in",
        &pkcs8,
        "-traditional",
        "-out",
        &path(&d, "pkcs1.pem"),
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        &pkcs8,
        "-passout",
        "pass:pw",
        "-out",
        &path(&d, "enc.pem"),
    ]);
    // What `openssl pkcs8 -scrypt` writes (N=16384, r=8, p=1): inside the KDF bounds.
    openssl(&[
        "pkcs8",
        "-topk8",
        "-scrypt",
        "-in",
        &pkcs8,
        "-passout",
        "pass:pw",
        "-out",
        &path(&d, "scrypt.pem"),
    ]);
    openssl(&[
        "rsa",
        "-in",
        &pkcs8,
        "-traditional",
        "-aes256",
        "-passout",
        "pass:pw",
        "-out",
        &path(&d, "legacy.pem"),
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        &path(&d, "small.pem"),
    ]);

    let load = |name: &str, pass: Option<&str>| SigningKey::from_file(&d.join(name), pass);
    let fp = load("pkcs8.pem", None).unwrap().fingerprint().unwrap();
    assert_eq!(load("pkcs1.pem", None).unwrap().fingerprint().unwrap(), fp);
    assert_eq!(
        load("enc.pem", Some("pw")).unwrap().fingerprint().unwrap(),
        fp
    );
    assert_eq!(
        load("scrypt.pem", Some("pw"))
            .unwrap()
            .fingerprint()
            .unwrap(),
        fp
    );
    // A pass phrase for an unencrypted key is ignored, as the SDK ignores it.
    assert!(load("pkcs8.pem", Some("unused")).is_ok());

    let err = |name: &str, pass: Option<&str>| load(name, pass).unwrap_err().to_string();
    assert!(err("enc.pem", None).contains("no pass_phrase"));
    assert!(err("enc.pem", Some("wrong")).contains("wrong pass_phrase"));
    let legacy = err("legacy.pem", Some("pw"));
    assert!(legacy.contains("openssl pkcs8 -topk8"), "{legacy}");
    assert!(err("small.pem", None).contains("at least 2048 bits"));
    assert!(err("missing.pem", None).contains("cannot read"));
    std::fs::write(d.join("junk.pem"), "not a key").unwrap();
    assert!(err("junk.pem", None).contains("not a PEM private key"));
    // No message ever carries key material.
    for e in [err("enc.pem", Some("wrong")), legacy] {
        assert!(!e.contains("PRIVATE KEY-----") && !e.contains("MII"), "{e}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}
