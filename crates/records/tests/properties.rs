// Copyright (c) 2026 rstyczynski.ansible contributors
// SPDX-License-Identifier: MIT
//! Properties of record parsing and names, over the public API only, so a cargo-fuzz target can
//! call the same entry points: `Record::parse`, `Record::to_text`, `RecordKey::new`.

use proptest::prelude::*;
use records::{Record, RecordKey};
use serde_json::{Map, Number, Value};

/// JSON values as metadata holds them, floats of every magnitude included.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".*", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn record() -> impl Strategy<Value = Record> {
    (
        ".*",
        ".*",
        proptest::option::of(".+"),
        ".*",
        prop::collection::vec((".*", json_value()), 0..8),
    )
        .prop_map(|(job_name, host, jid, save_time, metadata)| Record {
            job_name,
            host,
            ansible_job_id: jid,
            save_time,
            metadata: metadata.into_iter().collect::<Map<_, _>>(),
        })
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(text in ".*") {
        let _ = Record::parse(&text, "fuzz.json");
    }

    #[test]
    fn parse_never_panics_on_any_json(value in json_value()) {
        let _ = Record::parse(&value.to_string(), "fuzz.json");
    }

    #[test]
    fn parse_never_panics_on_a_damaged_record(r in record(), cut in any::<prop::sample::Index>(), junk in ".{0,4}") {
        let text = r.to_text();
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let damaged = format!("{}{junk}", &text[..at]);
        if let Err(e) = Record::parse(&damaged, "fuzz.json") {
            prop_assert!(e.to_string().contains("fuzz.json"));
        }
    }

    #[test]
    fn save_then_load_gives_the_same_record(r in record()) {
        let parsed = Record::parse(&r.to_text(), "x.json").unwrap();
        prop_assert_eq!(&parsed, &r);
        // Bit for bit, floats included: the text of the re-saved record is the same.
        prop_assert_eq!(parsed.to_text(), r.to_text());
    }

    #[test]
    fn floats_keep_every_bit(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let mut r = Record {
            job_name: "j".into(),
            host: "h".into(),
            ansible_job_id: Some("j1.1".into()),
            save_time: String::new(),
            metadata: Map::new(),
        };
        r.metadata.insert("f".into(), Value::from(f));
        let back = Record::parse(&r.to_text(), "x.json").unwrap();
        let got = back.metadata["f"].as_f64().unwrap();
        prop_assert_eq!(got.to_bits(), f.to_bits(), "{} came back as {}", f, got);
    }

    #[test]
    fn a_valid_key_is_three_plain_path_components(host in ".*", playbook in ".*", job in ".*") {
        if let Ok(key) = RecordKey::new(&host, &playbook, &job) {
            let relative = key.relative();
            let parts: Vec<&str> = relative.split('/').collect();
            prop_assert_eq!(parts.len(), 3);
            for part in parts {
                prop_assert!(!part.is_empty() && part != "." && part != "..");
                prop_assert!(!part.contains('\0'));
            }
        }
    }
}
