//! The generators: text that looks like what a field expects, broken in
//! every way (digits, separators, Unicode, control characters, huge), and
//! bodies that look like what an endpoint expects.

use proptest::prelude::*;

/// Text around what the card form's fields take: digits and spaces mostly,
/// with letters, punctuation, Cyrillic, emoji, controls and lengths
/// past any limit.
pub fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9 ]{0,24}",
        2 => "[0-9A-Za-z /\\-.,']{0,40}",
        1 => "[0-9]{12,19}",
        1 => "\\PC{0,64}",
        1 => any::<String>(),
        1 => "[0-9]{1,4}".prop_map(|s| s.repeat(300)),
        1 => Just(String::new()),
    ]
}

/// An `application/x-www-form-urlencoded` body of the card form's fields,
/// some repeated, some unknown, some badly escaped.
pub fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        Just("cardholder".to_string()),
        Just("number".to_string()),
        Just("exp_month".to_string()),
        Just("exp_year".to_string()),
        Just("cvv".to_string()),
        Just("idempotency_key".to_string()),
        Just("privacy_policy_edition".to_string()),
        Just("user_agreement_edition".to_string()),
        Just("code".to_string()),
        "[a-z_%\\[\\]]{0,12}",
    ];
    prop_oneof![
        3 => prop::collection::vec((name, field()), 0..12).prop_map(|pairs| {
            let mut body = String::new();
            for (name, value) in pairs {
                if !body.is_empty() {
                    body.push('&');
                }
                body.push_str(&name);
                body.push('=');
                body.push_str(&percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC).to_string());
            }
            body.into_bytes()
        }),
        1 => "[a-z=&%0-9+]{0,80}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ]
}

/// JSON, mostly of the shapes the endpoints read, with wrong types, extra
/// and missing fields, deep nesting and bytes that are not JSON at all.
pub fn json_body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        field().prop_map(serde_json::Value::from),
    ];
    let keys = prop_oneof![
        Just("form"),
        Just("code"),
        Just("number"),
        Just("cvv"),
        Just("exp_month"),
        Just("exp_year"),
        Just("cardholder"),
        Just("idempotency_key"),
        Just("order_id"),
        Just("status"),
        Just("reference"),
        Just("decline_code"),
        Just("csp-report"),
        Just("document-uri"),
        Just("blocked-uri"),
        Just("type"),
        Just("body"),
        Just("x"),
    ];
    let value = leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        6 => value.prop_map(|v| v.to_string().into_bytes()),
        1 => "[\\[\\]{}\":,0-9a-z ]{0,60}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => (1usize..5000).prop_map(|depth| format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()),
    ]
}

/// A `Cookie` or `Accept-Language` header's text.
pub fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "(lang=[a-zA-Z-]{0,6}; ?){0,3}[a-z=;, ]{0,20}",
        3 => "([a-zA-Z*]{1,8}(-[a-zA-Z0-9]{1,8})?(;q=[0-9.]{0,6})?, ?){0,6}",
        1 => "[ -~]{0,80}",
    ]
}
