//! Tests of the protocol: signing and the messages.

use super::signing::HmacSha256;
use super::*;
use hmac::Mac;

const KEY: &[u8] = b"test-key";

#[test]
fn round_trip() {
    let sig = sign(KEY, 1_700_000_000, "POST", "/v1/orders", b"{\"a\":1}");
    assert_eq!(sig.len(), 64);
    assert!(
        sig.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(
        verify(
            KEY,
            1_700_000_000,
            "POST",
            "/v1/orders",
            b"{\"a\":1}",
            &sig,
            1_700_000_100
        ),
        Ok(())
    );
}

#[test]
fn matches_the_textbook_hmac() {
    // The signed text is the three header lines followed by the body.
    let expected = {
        let mut m = <HmacSha256 as Mac>::new_from_slice(KEY).expect("any key length");
        m.update(b"42\nGET\n/v1/orders/a?x=1\nbody");
        hex::encode(m.finalize().into_bytes())
    };
    assert_eq!(sign(KEY, 42, "GET", "/v1/orders/a?x=1", b"body"), expected);
    // Keys longer than a SHA-256 block are hashed first, as RFC 2104 says.
    let long = [7u8; 100];
    let expected = {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&long).expect("any key length");
        m.update(b"1\nPOST\n/\n");
        hex::encode(m.finalize().into_bytes())
    };
    assert_eq!(sign(&long, 1, "POST", "/", b""), expected);
}

#[test]
fn tampering_is_refused() {
    let (ts, now) = (1_700_000_000, 1_700_000_000);
    let sig = sign(KEY, ts, "POST", "/v1/orders", b"body");
    let bad = |key: &[u8], ts, method, path, body: &[u8], sig: &str| {
        verify(key, ts, method, path, body, sig, now)
    };
    assert_eq!(
        bad(KEY, ts, "POST", "/v1/orders", b"bodY", &sig),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(KEY, ts, "POST", "/v1/orders/x", b"body", &sig),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(KEY, ts, "GET", "/v1/orders", b"body", &sig),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(KEY, ts + 1, "POST", "/v1/orders", b"body", &sig),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(b"other", ts, "POST", "/v1/orders", b"body", &sig),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(KEY, ts, "POST", "/v1/orders", b"body", "zz"),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        bad(KEY, ts, "POST", "/v1/orders", b"body", &sig[..62]),
        Err(SignatureError::Mismatch)
    );
    // A response signature is not a request signature.
    let response = sign(KEY, ts, &response_method(200, &sig), "/v1/orders", b"body");
    assert_eq!(
        bad(KEY, ts, "POST", "/v1/orders", b"body", &response),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        bad(
            KEY,
            ts,
            &response_method(500, &sig),
            "/v1/orders",
            b"body",
            &response
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn clock_skew_is_bounded() {
    let ts = 1_700_000_000;
    let sig = sign(KEY, ts, "GET", "/v1/orders/a", b"");
    let at = |now| verify(KEY, ts, "GET", "/v1/orders/a", b"", &sig, now);
    assert_eq!(at(ts + 300), Ok(()));
    assert_eq!(at(ts - 300), Ok(()));
    assert_eq!(at(ts + 301), Err(SignatureError::Stale));
    assert_eq!(at(ts - 301), Err(SignatureError::Stale));
    assert_eq!(
        verify(KEY, i64::MIN, "GET", "/", b"", &sig, i64::MAX),
        Err(SignatureError::Stale)
    );
}

#[test]
fn headers_are_read_and_checked() {
    let mut headers = axum::http::HeaderMap::new();
    let now = now_unix();
    assert_eq!(
        verify_headers(KEY, &headers, "POST", "/n", b"x", now),
        Err(SignatureError::Missing)
    );
    headers.insert(TIMESTAMP_HEADER, now.to_string().parse().expect("header"));
    headers.insert(
        SIGNATURE_HEADER,
        sign(KEY, now, "POST", "/n", b"x").parse().expect("header"),
    );
    assert_eq!(
        verify_headers(KEY, &headers, "POST", "/n", b"x", now),
        Ok(())
    );
    headers.insert(TIMESTAMP_HEADER, "soon".parse().expect("header"));
    assert_eq!(
        verify_headers(KEY, &headers, "POST", "/n", b"x", now),
        Err(SignatureError::Malformed)
    );
}

#[test]
fn card_debug_is_redacted() {
    let request = AuthoriseRequest {
        order_id: "o1".into(),
        amount_minor: 100,
        currency: "KGS".into(),
        card: CardData {
            number: String::from("4111111111111111").into(),
            exp_month: 12,
            exp_year: 2030,
            cvv: String::from("987").into(),
            holder: "AIDA ASANOVA".into(),
        },
        return_url: "/back".into(),
    };
    let debug = format!("{request:?} {request:#?}");
    assert!(!debug.contains("4111111111111111"), "{debug}");
    assert!(!debug.contains("987"), "{debug}");
    assert!(!debug.contains("ASANOVA"), "{debug}");
    assert!(debug.contains("411111******1111"), "{debug}");
}

#[test]
fn masking() {
    assert_eq!(mask_card_number("5555555555554444"), "555555******4444");
    assert_eq!(
        mask_card_number("4000000000000000000"),
        "400000*********0000"
    );
    assert_eq!(mask_card_number("12345"), "****");
    assert_eq!(mask_card_number("4111 1111 1111 1111"), "****");
}

#[test]
fn enums_are_snake_case_on_the_wire() {
    let json = serde_json::to_string(&(
        OrderStatus::ChallengeRequired,
        DeclineCode::ThreeDsFailed,
        ThreeDsMode::Frictionless,
    ))
    .expect("serialise");
    assert_eq!(
        json,
        r#"["challenge_required","three_ds_failed","frictionless"]"#
    );
}
