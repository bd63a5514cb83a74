//! Why an issuer declined a payment, as the acquirer reports it. The precise
//! reason is kept on the payment and in its events; what the citizen is told
//! is the reason's translation key.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    InsufficientFunds,
    DoNotHonour,
    ExpiredCard,
    CvvMismatch,
    /// The issuer says the card was reported lost or stolen.
    LostOrStolen,
    /// The citizen failed or cancelled the issuer's 3-D Secure challenge.
    ThreeDsFailed,
}

impl DeclineReason {
    pub const ALL: [DeclineReason; 6] = [
        DeclineReason::InsufficientFunds,
        DeclineReason::DoNotHonour,
        DeclineReason::ExpiredCard,
        DeclineReason::CvvMismatch,
        DeclineReason::LostOrStolen,
        DeclineReason::ThreeDsFailed,
    ];

    /// The translation key of what the citizen is told. The reasons that
    /// would tell someone testing stolen cards which detail was wrong (the
    /// security code, the expiry, a card reported stolen, a plain refusal)
    /// all read the same; the precise reason is kept in the payment's events
    /// and the operator's log.
    pub fn key(self) -> &'static str {
        match self {
            DeclineReason::InsufficientFunds => "decline_insufficient_funds",
            DeclineReason::DoNotHonour
            | DeclineReason::ExpiredCard
            | DeclineReason::CvvMismatch
            | DeclineReason::LostOrStolen => "decline_do_not_honour",
            DeclineReason::ThreeDsFailed => "decline_three_ds_failed",
        }
    }

    /// The name stored and sent over the acquirer protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::InsufficientFunds => "insufficient_funds",
            DeclineReason::DoNotHonour => "do_not_honour",
            DeclineReason::ExpiredCard => "expired_card",
            DeclineReason::CvvMismatch => "cvv_mismatch",
            DeclineReason::LostOrStolen => "lost_or_stolen",
            DeclineReason::ThreeDsFailed => "three_ds_failed",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<DeclineReason> {
        DeclineReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}
