// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Properties of OCI config, key, region and endpoint parsing, over the public API only, so a
//! cargo-fuzz target can call the same entry points: `oci::config::parse`,
//! `oci::SigningKey::from_pem`, `oci::object_storage_endpoint`,
//! `oci::check_endpoint`.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use oci::{check_endpoint, object_storage_endpoint, SigningKey};
use pkcs8::der::Encode;
use pkcs8::pkcs5::pbes2;
use proptest::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn encrypted_pem(kdf: pbes2::Kdf, body: &[u8]) -> String {
    let iv = [3u8; 16];
    let info = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: pbes2::Parameters {
            kdf,
            encryption: pbes2::EncryptionScheme::Aes128Cbc { iv: &iv },
        }
        .into(),
        encrypted_data: body,
    };
    pem::encode(&pem::Pem::new(
        "ENCRYPTED PRIVATE KEY",
        info.to_der().unwrap(),
    ))
}

/// Config-file lines: the keys the parser knows, others, sections, comments, junk.
fn config_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\[[A-Za-z ]{0,8}\\]",
        (
            prop::sample::select(vec![
                "user",
                "tenancy",
                "region",
                "key_file",
                "fingerprint",
                "pass_phrase",
                "security_token_file",
                "other",
            ]),
            "[^\n]{0,20}"
        )
            .prop_map(|(k, v)| format!("{k}={v}")),
        "[#;][^\n]{0,10}",
        "[^\n]{0,20}",
    ]
}

proptest! {
    #[test]
    fn config_parse_never_panics(text in ".*", name in ".{0,8}") {
        let _ = oci::config::parse(&text, Path::new("/c"), &name);
    }

    #[test]
    fn config_parse_never_panics_on_config_like_text(
        lines in prop::collection::vec(config_line(), 0..16),
        name in prop::sample::select(vec!["DEFAULT", "work", "A B"]),
    ) {
        let text = lines.join("\n");
        if let Ok(p) = oci::config::parse(&text, Path::new("/c"), name) {
            prop_assert!(!p.tenancy.is_empty() && !p.region.is_empty());
            prop_assert!(p.user.is_some() || p.security_token_file.is_some());
        }
    }

    #[test]
    fn key_parse_never_panics(text in ".*", pass in proptest::option::of(".{0,8}")) {
        let _ = SigningKey::from_pem(&text, pass.as_deref());
    }

    #[test]
    fn key_parse_never_panics_on_any_pem_body(
        tag in prop::sample::select(vec!["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "X"]),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let text = pem::encode(&pem::Pem::new(tag, body));
        let started = Instant::now();
        let _ = SigningKey::from_pem(&text, Some("pw"));
        prop_assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn hostile_pbkdf2_counts_are_refused_at_once(iterations in 5_000_001u32..=u32::MAX) {
        let salt = [1u8; 8];
        let kdf = pbes2::Kdf::Pbkdf2(pbes2::Pbkdf2Params {
            salt: &salt,
            iteration_count: iterations,
            key_length: None,
            prf: pbes2::Pbkdf2Prf::HmacWithSha256,
        });
        let started = Instant::now();
        let err = SigningKey::from_pem(&encrypted_pem(kdf, &[0u8; 64]), Some("pw")).unwrap_err();
        prop_assert!(started.elapsed() < Duration::from_millis(500));
        prop_assert!(err.contains("PBKDF2 iterations"), "{}", err);
    }

    #[test]
    fn hostile_scrypt_costs_are_refused_at_once(log_n in 0u32..64, r in any::<u16>(), p in any::<u16>()) {
        let n = 1u64 << log_n;
        let memory = 128u128 * u128::from(r) * (u128::from(n) + 2) + 128 * u128::from(r) * u128::from(p);
        let work = 128u128 * u128::from(r) * u128::from(n) * u128::from(p);
        prop_assume!(n < 2 || r == 0 || p == 0 || memory > 32 << 20 || work > 1 << 30);
        let salt = [1u8; 8];
        let kdf = pbes2::Kdf::Scrypt(pbes2::ScryptParams {
            salt: &salt,
            cost_parameter: n,
            block_size: r,
            parallelization: p,
            key_length: None,
        });
        let started = Instant::now();
        let err = SigningKey::from_pem(&encrypted_pem(kdf, &[0u8; 64]), Some("pw")).unwrap_err();
        prop_assert!(started.elapsed() < Duration::from_millis(500));
        prop_assert!(err.contains("scrypt"), "{}", err);
    }

    #[test]
    fn region_endpoints_keep_their_host(region in ".{0,70}") {
        if let Ok(url) = object_storage_endpoint(&region) {
            let host = url.strip_prefix("https://objectstorage.").unwrap();
            prop_assert!(host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'));
            let parsed = reqwest::Url::parse(&url).unwrap();
            prop_assert_eq!(parsed.host_str(), Some(&url["https://".len()..]));
        }
        if region.contains(['#', '?', '@', '/', ':']) {
            prop_assert!(object_storage_endpoint(&region).is_err());
        }
    }

    #[test]
    fn region_shaped_names_are_accepted(words in prop::collection::vec("[a-z][a-z0-9]{0,9}", 1..4), n in 1u8..10) {
        let region = format!("{}-{n}", words.join("-"));
        prop_assume!(region.len() <= 63);
        prop_assert!(object_storage_endpoint(&region).is_ok(), "{}", region);
    }

    #[test]
    fn endpoints_send_where_they_sign(endpoint in ".{0,40}", path in "/[a-z/]{0,10}") {
        if let Ok((base, host)) = check_endpoint(&endpoint) {
            let url = reqwest::Url::parse(&format!("{base}{path}")).unwrap();
            let actual = match url.port() {
                Some(p) => format!("{}:{p}", url.host_str().unwrap()),
                None => url.host_str().unwrap().to_string(),
            };
            prop_assert_eq!(actual, host);
            prop_assert_eq!(url.path(), path.as_str());
        }
    }

    #[test]
    fn http_endpoints_with_tricks_are_refused(host in "[a-z]{1,8}(\\.[a-z]{1,8}){0,2}", trick in "[#?@/][^ ]{0,8}[a-z]") {
        let endpoint = format!("https://{host}{trick}");
        prop_assert!(check_endpoint(&endpoint).is_err(), "{}", endpoint);
    }
}
