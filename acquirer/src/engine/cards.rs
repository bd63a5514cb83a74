//! The sandbox's test cards: which card number (and expiry) produces which
//! outcome, so a merchant can walk every path (approval, each decline, 3-D
//! Secure, each transport fault) by typing a card.

use super::Fault;
use crate::protocol::{CardData, DeclineCode};
use chrono::{DateTime, Datelike, Utc};

/// What a test card does. Any other Luhn-valid card is approved without 3-D Secure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardBehaviour {
    /// Approved and charged.
    Approve,
    /// Declined with this code; nothing charged.
    Decline(DeclineCode),
    /// The acquirer refuses to process: HTTP 503 with an error body, nothing
    /// charged and no order kept.
    Unavailable,
    /// 3-D Secure without a challenge: approved, `three_ds` = frictionless.
    Frictionless,
    /// 3-D Secure with a challenge: `challenge_required` and a challenge URL;
    /// charged only when the merchant completes a passed challenge.
    Challenge,
    /// As [`CardBehaviour::Challenge`], except that a passed challenge is
    /// charged at once and its approved notification delivered to the
    /// merchant before the challenge page sends the browser back (the
    /// `early_notification` fault).
    ChallengeEarlyNotification,
    /// Approved or refused as the fault says, then the transport misbehaves.
    Fault(Fault),
    /// Approved and charged; every refund of it is declined for good.
    RefundsDeclined,
    /// Approved and charged; a refund of it succeeds, but its answer is held
    /// past any client timeout (the refund is recorded all the same).
    RefundsTimeOut,
}

/// The sandbox test cards, by full number. Any expiry in the future and any
/// CVV work; an expiry in the past declines with `expired_card` for every card.
///
/// | number | behaviour |
/// | --- | --- |
/// | 4111111111111111, 5555555555554444 | approved |
/// | 4000000000009995 | declined, `insufficient_funds` |
/// | 4000000000000002 | declined, `do_not_honour` |
/// | 4000000000000069 | declined, `expired_card` |
/// | 4000000000000127 | declined, `cvv_mismatch` |
/// | any number starting 40000099 (4000 0099 …) | declined, `lost_or_stolen`: a list of stolen cards for the carding bench |
/// | 4000000000000119 | HTTP 503, the acquirer refuses to process; nothing charged |
/// | 4000000000003055 | 3-D Secure frictionless, approved |
/// | 4000000000003220 | 3-D Secure challenge |
/// | 4000000000003238 | 3-D Secure challenge; once passed, charged and notified before the browser returns |
/// | 4000000000000259 | approved and charged, then the answer is held past any client timeout |
/// | 4000000000000267 | approved, the answer held past any client timeout, and the charge recorded only `late_charge_ms` after the request (no such order until then) |
/// | 4000000000000507 | approved and charged, then HTTP 500 |
/// | 4000000000000515 | approved and charged, then the connection drops mid-answer |
/// | 4000000000000523 | HTTP 500 before charging: no charge, no order |
/// | 4000000000000531 | approved, HTTP 500 at once, and the charge recorded only `late_charge_ms` after the request (no such order until then) |
/// | 4000000000000606 | approved; every refund of it is declined |
/// | 4000000000000614 | approved; a refund of it succeeds, its answer held past any client timeout |
pub const TEST_CARDS: &[(&str, CardBehaviour)] = &[
    ("4111111111111111", CardBehaviour::Approve),
    ("5555555555554444", CardBehaviour::Approve),
    (
        "4000000000009995",
        CardBehaviour::Decline(DeclineCode::InsufficientFunds),
    ),
    (
        "4000000000000002",
        CardBehaviour::Decline(DeclineCode::DoNotHonour),
    ),
    (
        "4000000000000069",
        CardBehaviour::Decline(DeclineCode::ExpiredCard),
    ),
    (
        "4000000000000127",
        CardBehaviour::Decline(DeclineCode::CvvMismatch),
    ),
    ("4000000000000119", CardBehaviour::Unavailable),
    ("4000000000003055", CardBehaviour::Frictionless),
    ("4000000000003220", CardBehaviour::Challenge),
    (
        "4000000000003238",
        CardBehaviour::ChallengeEarlyNotification,
    ),
    (
        "4000000000000259",
        CardBehaviour::Fault(Fault::TimeoutAfterCharge),
    ),
    (
        "4000000000000267",
        CardBehaviour::Fault(Fault::LateChargeTimeout),
    ),
    (
        "4000000000000507",
        CardBehaviour::Fault(Fault::ServerErrorAfterCharge),
    ),
    (
        "4000000000000515",
        CardBehaviour::Fault(Fault::DropAfterCharge),
    ),
    (
        "4000000000000523",
        CardBehaviour::Fault(Fault::ServerErrorBeforeCharge),
    ),
    (
        "4000000000000531",
        CardBehaviour::Fault(Fault::LateChargeServerError),
    ),
    ("4000000000000606", CardBehaviour::RefundsDeclined),
    ("4000000000000614", CardBehaviour::RefundsTimeOut),
];

/// Numbers starting so are cards reported lost or stolen.
pub const STOLEN_PREFIX: &str = "40000099";

/// The behaviour of a card number: its [`TEST_CARDS`] entry, a stolen card
/// ([`STOLEN_PREFIX`]), else approve.
pub fn card_behaviour(number: &str) -> CardBehaviour {
    TEST_CARDS
        .iter()
        .find(|(card, _)| *card == number)
        .map(|(_, behaviour)| *behaviour)
        .unwrap_or(if number.starts_with(STOLEN_PREFIX) {
            CardBehaviour::Decline(DeclineCode::LostOrStolen)
        } else {
            CardBehaviour::Approve
        })
}

/// A card is valid to the end of its expiry month (UTC).
pub(super) fn expired(card: &CardData, now: DateTime<Utc>) -> bool {
    let (year, month) = (now.year(), now.month());
    (i32::from(card.exp_year), u32::from(card.exp_month)) < (year, month)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::luhn_valid;

    #[test]
    fn test_cards_are_luhn_valid_and_distinct() {
        for (number, _) in TEST_CARDS {
            assert!(luhn_valid(number), "{number}");
        }
        let mut numbers: Vec<_> = TEST_CARDS.iter().map(|(n, _)| n).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), TEST_CARDS.len());
    }

    #[test]
    fn expiry_is_the_end_of_the_month() {
        let card = |exp_month, exp_year| CardData {
            number: String::from("4111111111111111").into(),
            exp_month,
            exp_year,
            cvv: String::from("123").into(),
            holder: String::new(),
        };
        let now = DateTime::parse_from_rfc3339("2026-05-31T23:59:59Z")
            .expect("date")
            .with_timezone(&Utc);
        assert!(!expired(&card(5, 2026), now));
        assert!(expired(&card(4, 2026), now));
        assert!(expired(&card(12, 2025), now));
        assert!(!expired(&card(1, 2027), now));
    }
}
