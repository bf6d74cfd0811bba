// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Properties of everything the host modules parse from input or from disk. Each property calls
//! one public entry point on arbitrary bytes or strings, so a cargo-fuzz target can call the same
//! function: `JobFile::parse`, `JobFile::read`, `Jid::parse`, `AliasName::parse`, `Token::parse`,
//! `Claim::parse`, `alias::confined_jid`.
// Helpers outside #[test] functions panic on a broken fixture, which is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobs::{confined_jid, AliasName, AsyncDir, Claim, Jid, JobFile, Token};
use proptest::prelude::*;
use std::path::Path;

fn jid() -> impl Strategy<Value = Jid> {
    "j?[0-9]{1,12}\\.[0-9]{1,10}".prop_map(|s| Jid::parse(&s).expect("jid-shaped"))
}

fn token() -> impl Strategy<Value = Token> {
    "[0-9a-f]{8,64}".prop_map(|s| Token::parse(&s).expect("hex token"))
}

proptest! {
    #[test]
    fn job_file_text_never_panics_and_the_stream_agrees(text in any::<String>()) {
        let parsed = JobFile::parse(&text);
        let streamed = JobFile::read(text.as_bytes()).expect("reading a slice cannot fail");
        if !matches!(parsed, JobFile::Unreadable(_)) {
            prop_assert_eq!(streamed, parsed);
        }
    }

    #[test]
    fn job_file_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = JobFile::read(&bytes[..]).expect("reading a slice cannot fail");
    }

    #[test]
    fn json_objects_are_never_unreadable(
        m in proptest::collection::btree_map("[a-z_]{0,8}", any::<i64>(), 0..6),
    ) {
        let text = serde_json::to_string(&m).expect("a map of ints encodes");
        prop_assert!(!matches!(JobFile::parse(&text), JobFile::Unreadable(_)));
    }

    #[test]
    fn jids_are_one_plain_file_name(s in any::<String>()) {
        if let Ok(j) = Jid::parse(&s) {
            prop_assert_eq!(j.as_str(), s.as_str());
            prop_assert!(j.as_str().bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'j'));
            prop_assert!(!j.as_str().contains(".."));
            prop_assert!(j.as_str().starts_with(j.prefix()));
        }
    }

    #[test]
    fn aliases_stay_one_path_component(s in any::<String>()) {
        if let Ok(a) = AliasName::parse(&s) {
            let name = a.file_name();
            prop_assert!(!name.contains('/') && !name.contains('\0') && !name.contains(".."));
            // `.<name>.claim` must fit in NAME_MAX.
            prop_assert!(name.len() < 255 - ".claim".len());
            prop_assert_eq!(Path::new(&name).components().count(), 1);
        }
    }

    #[test]
    fn tokens_are_exactly_short_lowercase_hex(s in any::<String>()) {
        let hex = (8..=64).contains(&s.len()) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        prop_assert_eq!(Token::parse(&s).is_ok(), hex);
    }

    #[test]
    fn tokens_with_whitespace_or_non_hex_are_rejected(
        head in "[0-9a-f]{4,30}",
        bad in "[ \t\n\r\u{b}\u{c}g-zA-Z/.\u{a0}\u{2003}]",
        tail in "[0-9a-f]{4,30}",
    ) {
        let token = format!("{head}{bad}{tail}");
        prop_assert!(Token::parse(&token).is_err());
    }

    #[test]
    fn claim_files_never_panic_and_what_parses_is_canonical(text in any::<String>()) {
        if let Ok(c) = Claim::parse(&text) {
            prop_assert_eq!(c.format(), text);
        }
    }

    #[test]
    fn claim_files_round_trip(t in token(), j in proptest::option::of(jid())) {
        let c = match j {
            Some(j) => Claim::Started(t, j),
            None => Claim::Claimed(t),
        };
        prop_assert_eq!(Claim::parse(&c.format()), Ok(c));
    }

    #[test]
    fn a_claim_with_a_bad_token_never_parses(t in token(), junk in "[ \t]+[0-9a-f]{1,8}") {
        let claimed = Claim::Claimed(t).format();
        let text = format!("{}{junk}\n", claimed.trim_end_matches('\n'));
        prop_assert!(Claim::parse(&text).is_err(), "{:?}", text);
    }

    #[test]
    fn link_targets_lead_only_to_this_dir(target in "(/|\\.\\./|[a-z]{1,3}/){0,4}(j?[0-9]{1,3}\\.[0-9]{1,3}|[a-z.]{0,4})") {
        let dir = AsyncDir::from_path("/nonexistent-async-dir");
        if let Some(j) = confined_jid(&dir, Path::new(&target)) {
            prop_assert!(target == j.as_str(), "{} -> {}", target, j);
        }
        let inside = format!("/nonexistent-async-dir/{target}");
        if let Some(j) = confined_jid(&dir, Path::new(&inside)) {
            // Path equality ignores `//` and `/./`, as the kernel does.
            prop_assert_eq!(Path::new(&inside), dir.path().join(j.as_str()));
        }
    }
}
