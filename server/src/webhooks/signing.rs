//! Signatures per the Standard Webhooks specification: the signed content
//! is `{webhook-id}.{webhook-timestamp}.{body}`, signed with HMAC-SHA256
//! under the secret's bytes (`whsec_<base64>`), sent as `v1,<base64>`; while
//! a rotated secret overlaps, both signatures are sent, space-separated.

use crate::storage::WebhookEndpoint;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The secret's key bytes.
fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix("whsec_")?).ok()
}

/// `v1,<base64 HMAC>` of one message under one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key(secret)?).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: the current secret's signature, and the
/// previous secret's while its overlap lasts.
pub fn signature_header(
    endpoint: &WebhookEndpoint,
    id: &str,
    timestamp: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    let mut header = sign(&endpoint.secret, id, timestamp, body)?;
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_until)
        && now < until
        && let Some(old) = sign(previous, id, timestamp, body)
    {
        header.push(' ');
        header.push_str(&old);
    }
    Some(header)
}

/// Whether a delivery is genuine, as a receiver checks it: one of the
/// header's signatures is the secret's (compared in constant time), and
/// the timestamp is within `tolerance_secs` of `now`.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &str,
    now: DateTime<Utc>,
    tolerance_secs: i64,
) -> bool {
    let Ok(sent) = timestamp.parse::<i64>() else {
        return false;
    };
    if (now.timestamp() - sent).abs() > tolerance_secs {
        return false;
    }
    let Some(key) = key(secret) else { return false };
    signatures.split(' ').any(|candidate| {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(encoded) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference
    /// libraries: this secret, id, timestamp and body sign to this.
    #[test]
    fn signs_as_the_specification_s_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn rotation_sends_both_signatures_while_the_overlap_lasts() {
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let old = crate::agencies::keys::new_signing_secret();
        let new = crate::agencies::keys::new_signing_secret();
        let endpoint = WebhookEndpoint {
            url: "https://example.invalid/hook".into(),
            secret: new.clone(),
            previous_secret: Some(old.clone()),
            previous_until: Some(now + chrono::Duration::hours(1)),
        };
        let ts = now.timestamp();
        let header = signature_header(&endpoint, "evt_1", ts, "{}", now).unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert!(verify(
            &new,
            "evt_1",
            &ts.to_string(),
            &header,
            "{}",
            now,
            300
        ));
        assert!(verify(
            &old,
            "evt_1",
            &ts.to_string(),
            &header,
            "{}",
            now,
            300
        ));
        let later = now + chrono::Duration::hours(2);
        let header = signature_header(&endpoint, "evt_1", ts, "{}", later).unwrap();
        assert!(!verify(
            &old,
            "evt_1",
            &ts.to_string(),
            &header,
            "{}",
            now,
            300
        ));
        // Tampering, another id and a stale timestamp all fail.
        assert!(!verify(
            &new,
            "evt_1",
            &ts.to_string(),
            &header,
            "{ }",
            now,
            300
        ));
        assert!(!verify(
            &new,
            "evt_2",
            &ts.to_string(),
            &header,
            "{}",
            now,
            300
        ));
        assert!(!verify(
            &new,
            "evt_1",
            &ts.to_string(),
            &header,
            "{}",
            later,
            300
        ));
    }
}
