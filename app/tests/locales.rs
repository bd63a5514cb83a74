//! Every string a citizen sees exists in Russian, Kyrgyz and English: the
//! three translation files name exactly the same keys, none of them empty,
//! and their `{{ placeholders }}` agree. leptos_i18n only warns when a
//! non-default language lacks a key (and then shows the Russian text); this
//! test makes it a failure.

use std::collections::{BTreeMap, BTreeSet};

fn load(language: &str) -> BTreeMap<String, String> {
    let path = format!("{}/locales/{language}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    value
        .as_object()
        .expect("a flat object of keys")
        .iter()
        .map(|(key, text)| {
            let text = text
                .as_str()
                .unwrap_or_else(|| panic!("{language}.{key} is not a string"));
            (key.clone(), text.to_string())
        })
        .collect()
}

/// Keys of `reference` that `other` lacks, and keys `other` has beyond them.
fn differences(
    reference: &BTreeMap<String, String>,
    other: &BTreeMap<String, String>,
) -> (Vec<String>, Vec<String>) {
    let missing = reference
        .keys()
        .filter(|k| !other.contains_key(*k))
        .cloned()
        .collect();
    let extra = other
        .keys()
        .filter(|k| !reference.contains_key(*k))
        .cloned()
        .collect();
    (missing, extra)
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("{{")
        .skip(1)
        .filter_map(|rest| rest.split_once("}}"))
        .map(|(name, _)| name.trim().to_string())
        .collect()
}

#[test]
fn every_language_has_every_key_with_the_same_placeholders() {
    let russian = load("ru");
    assert!(russian.len() > 100, "the Russian file is the full set");
    for language in ["ky", "en"] {
        let other = load(language);
        let (missing, extra) = differences(&russian, &other);
        assert!(missing.is_empty(), "{language} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{language} has keys Russian lacks: {extra:?}"
        );
        for (key, text) in &other {
            assert!(!text.trim().is_empty(), "{language}.{key} is empty");
            assert_eq!(
                placeholders(text),
                placeholders(&russian[key]),
                "{language}.{key} placeholders"
            );
        }
    }
    for (key, text) in &russian {
        assert!(!text.trim().is_empty(), "ru.{key} is empty");
    }
}

#[test]
fn a_missing_key_is_caught() {
    let mut broken = load("ky");
    broken.remove("pay_title");
    broken.insert("stray".into(), "x".into());
    let (missing, extra) = differences(&load("ru"), &broken);
    assert_eq!(missing, ["pay_title"]);
    assert_eq!(extra, ["stray"]);
}
