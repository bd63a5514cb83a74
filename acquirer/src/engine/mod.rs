//! The sandbox acquirer's engine: an in-memory ledger that behaves like an
//! acquirer's test environment, without any transport.
//!
//! The HTTP router in [`crate::http`] puts it on the wire; the site can also
//! call it in-process. It decides each order's outcome from the card number
//! ([`TEST_CARDS`]), keeps orders idempotent on the merchant's order id, runs
//! the 3-D Secure challenge state, sends signed notifications, and injects
//! faults ([`FaultPlan`]) so the merchant's handling of lost answers can be
//! tested: a fault is reported back in [`Answer::fault`] *after* the engine
//! has applied the outcome, and the transport acts it out (holds the answer,
//! answers 500, breaks the connection).
//!
//! Card data: an order keeps the first six and last four digits, the brand
//! and a keyed hash of the number (to recognise a repeated request with the
//! same card). The full number and the CVV are dropped as soon as the request
//! has been decided and are never logged.

use crate::protocol::{
    self, AuthoriseRequest, CardData, Challenge, DeclineCode, LedgerEntry, Notification,
    OrderResponse, OrderStatus, ThreeDsMode,
};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The only currency the sandbox accepts.
pub const CURRENCY: &str = "KGS";
/// Largest amount accepted, in minor units: ten billion som.
const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// Approved or refused as the fault says, then the transport misbehaves.
    Fault(Fault),
}

impl CardBehaviour {
    /// One line for a README's test card table.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Decline(DeclineCode::InsufficientFunds) => "declined: insufficient funds",
            Self::Decline(DeclineCode::DoNotHonour) => "declined: do not honour",
            Self::Decline(DeclineCode::ExpiredCard) => "declined: expired card",
            Self::Decline(DeclineCode::CvvMismatch) => "declined: CVV mismatch",
            Self::Decline(DeclineCode::ThreeDsFailed) => "declined: 3-D Secure failed",
            Self::Unavailable => "the acquirer refuses to process (HTTP 503), nothing charged",
            Self::Frictionless => "3-D Secure frictionless, approved",
            Self::Challenge => "3-D Secure challenge (one-time code shown on the sandbox page)",
            Self::Fault(fault) => fault.describe(),
        }
    }
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
/// | 4000000000000119 | HTTP 503, the acquirer refuses to process; nothing charged |
/// | 4000000000003055 | 3-D Secure frictionless, approved |
/// | 4000000000003220 | 3-D Secure challenge |
/// | 4000000000000259 | approved and charged, then the answer is held past any client timeout |
/// | 4000000000000507 | approved and charged, then HTTP 500 |
/// | 4000000000000515 | approved and charged, then the connection drops mid-answer |
/// | 4000000000000523 | HTTP 500 before charging: no charge, no order |
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
        "4000000000000259",
        CardBehaviour::Fault(Fault::TimeoutAfterCharge),
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
];

/// The behaviour of a card number: its [`TEST_CARDS`] entry, else approve.
pub fn card_behaviour(number: &str) -> CardBehaviour {
    TEST_CARDS
        .iter()
        .find(|(card, _)| *card == number)
        .map_or(CardBehaviour::Approve, |(_, behaviour)| *behaviour)
}

/// How the transport misbehaves after the engine has decided an authorisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Charged; the answer is held for [`FaultPlan::timeout_ms`], past the
    /// client's timeout.
    TimeoutAfterCharge,
    /// Charged; the answer is HTTP 500.
    ServerErrorAfterCharge,
    /// Charged; the connection breaks in the middle of the answer.
    DropAfterCharge,
    /// Nothing charged and no order kept; the answer is HTTP 500.
    ServerErrorBeforeCharge,
}

impl Fault {
    pub fn describe(self) -> &'static str {
        match self {
            Self::TimeoutAfterCharge => {
                "approved and charged, then the answer is held past any client timeout"
            }
            Self::ServerErrorAfterCharge => "approved and charged, then HTTP 500",
            Self::DropAfterCharge => "approved and charged, then the connection drops mid-answer",
            Self::ServerErrorBeforeCharge => "HTTP 500 before charging: no charge, no order",
        }
    }

    /// Whether the card was charged before the transport failed.
    pub fn charged(self) -> bool {
        !matches!(self, Self::ServerErrorBeforeCharge)
    }
}

/// A fault a random draw can pick (see [`FaultPlan::kinds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    #[serde(rename = "timeout")]
    Timeout,
    #[serde(rename = "server_error_after")]
    ServerErrorAfter,
    #[serde(rename = "drop")]
    Drop,
    #[serde(rename = "server_error_before")]
    ServerErrorBefore,
    /// The order's notification is sent twice.
    #[serde(rename = "duplicate_notification")]
    DuplicateNotification,
    /// The order's notification is sent after [`FaultPlan::late_notification_ms`].
    #[serde(rename = "late_notification")]
    LateNotification,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        Self::Timeout,
        Self::ServerErrorAfter,
        Self::Drop,
        Self::ServerErrorBefore,
        Self::DuplicateNotification,
        Self::LateNotification,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ServerErrorAfter => "server_error_after",
            Self::Drop => "drop",
            Self::ServerErrorBefore => "server_error_before",
            Self::DuplicateNotification => "duplicate_notification",
            Self::LateNotification => "late_notification",
        }
    }

    fn transport_fault(self) -> Option<Fault> {
        match self {
            Self::Timeout => Some(Fault::TimeoutAfterCharge),
            Self::ServerErrorAfter => Some(Fault::ServerErrorAfterCharge),
            Self::Drop => Some(Fault::DropAfterCharge),
            Self::ServerErrorBefore => Some(Fault::ServerErrorBeforeCharge),
            Self::DuplicateNotification | Self::LateNotification => None,
        }
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                format!("unknown fault kind {s:?}; known: {}", names.join(", "))
            })
    }
}

/// The faults of a run. `Default` injects none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Added to every authorisation and challenge completion.
    pub latency_ms: u64,
    /// Probability (0 to 1) that an otherwise approved authorisation without
    /// 3-D Secure gets a random fault drawn from `kinds`.
    pub rate: f64,
    /// What random draws pick from; empty means the four transport faults
    /// (`timeout`, `server_error_after`, `drop`, `server_error_before`).
    pub kinds: Vec<FaultKind>,
    /// How long a `timeout` fault holds the answer.
    pub timeout_ms: u64,
    /// How long a `late_notification` fault delays the notification.
    pub late_notification_ms: u64,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate: 0.0,
            kinds: Vec::new(),
            timeout_ms: 30_000,
            late_notification_ms: 2_000,
        }
    }
}

impl FaultPlan {
    /// Refuses a rate outside 0..=1 (NaN included).
    pub fn validate(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.rate) {
            Ok(())
        } else {
            Err("rate must be between 0 and 1".to_owned())
        }
    }

    fn draw_kinds(&self) -> &[FaultKind] {
        const TRANSPORT: [FaultKind; 4] = [
            FaultKind::Timeout,
            FaultKind::ServerErrorAfter,
            FaultKind::Drop,
            FaultKind::ServerErrorBefore,
        ];
        if self.kinds.is_empty() {
            &TRANSPORT
        } else {
            &self.kinds
        }
    }
}

/// Where the engine posts [`Notification`]s, and the key it signs them with.
#[derive(Clone)]
pub struct NotifyConfig {
    pub url: String,
    pub key: Vec<u8>,
}

impl fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// Base of challenge page URLs; a challenge's URL is `{acs_base_url}/{token}`.
    /// `http://127.0.0.1:4000/acs` for the binary, `/sandbox/acs` when the
    /// site nests [`crate::http::acs_router`] there itself.
    pub acs_base_url: String,
    pub faults: FaultPlan,
    pub notify: Option<NotifyConfig>,
    /// Makes random fault draws reproducible; `None` seeds from the OS.
    pub seed: Option<u64>,
}

impl EngineConfig {
    /// No faults, no notifications, random seed.
    pub fn new(acs_base_url: impl Into<String>) -> Self {
        Self {
            acs_base_url: acs_base_url.into(),
            ..Self::default()
        }
    }
}

/// The engine's decision on an authorisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The order as the engine left it. For [`Fault::ServerErrorBeforeCharge`]
    /// nothing was kept and this only echoes the request (status declined,
    /// no reference): the transport must answer 500 and never show it.
    pub response: OrderResponse,
    /// What the transport must do instead of a plain answer.
    pub fault: Option<Fault>,
}

/// The texts name fields, never their card values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// HTTP 400.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// HTTP 409: the order id is taken by an order with other details, or
    /// the order is not in a state that allows the call.
    #[error("the order exists with other details, or its state does not allow this")]
    Conflict,
    /// HTTP 404.
    #[error("no such order")]
    NotFound,
    /// HTTP 409: the cardholder has not answered the challenge yet.
    #[error("the 3-D Secure challenge has not been answered yet")]
    NotReady,
    /// HTTP 503: the acquirer refuses to process; nothing was charged.
    #[error("the acquirer cannot process this request: {0}")]
    Unavailable(String),
}

/// How the cardholder answered a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
    Passed,
    Failed,
}

/// What the cardholder did on the challenge page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeAction {
    Confirm { code: String },
    Cancel,
}

/// What the challenge page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeView {
    pub token: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `400000******3220`.
    pub masked_card: String,
    /// The one-time code; a sandbox shows it on the page.
    pub code: String,
    pub return_url: String,
    /// `None` until the cardholder answers.
    pub outcome: Option<ChallengeOutcome>,
}

struct ChallengeState {
    token: String,
    code: String,
    return_url: String,
    outcome: Option<ChallengeOutcome>,
}

struct Order {
    order_id: String,
    amount_minor: i64,
    currency: String,
    /// Keyed hash of the card number: recognises a repeated request without
    /// keeping the number.
    card_fingerprint: String,
    card_first6: String,
    card_last4: String,
    card_masked: String,
    card_brand: &'static str,
    status: OrderStatus,
    reference: Option<String>,
    decline_code: Option<DeclineCode>,
    three_ds: Option<ThreeDsMode>,
    challenge: Option<ChallengeState>,
    refunded_minor: Option<i64>,
    charged: bool,
    created_at: DateTime<Utc>,
}

impl Order {
    fn response(&self, acs_base_url: &str) -> OrderResponse {
        let challenge = match (&self.challenge, self.status) {
            (Some(challenge), OrderStatus::ChallengeRequired) => Some(Challenge {
                url: format!("{acs_base_url}/{}", challenge.token),
            }),
            _ => None,
        };
        OrderResponse {
            order_id: self.order_id.clone(),
            status: self.status,
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            reference: self.reference.clone(),
            decline_code: self.decline_code,
            challenge,
            three_ds: self.three_ds,
        }
    }

    fn ledger_entry(&self) -> LedgerEntry {
        LedgerEntry {
            order_id: self.order_id.clone(),
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            status: self.status,
            reference: self.reference.clone(),
            card_first6: self.card_first6.clone(),
            card_last4: self.card_last4.clone(),
            card_brand: self.card_brand.to_owned(),
            three_ds: self.three_ds,
            created_at: self.created_at,
        }
    }

    fn notification(&self) -> Notification {
        Notification {
            order_id: self.order_id.clone(),
            status: self.status,
            reference: self.reference.clone(),
            decline_code: self.decline_code,
        }
    }

    fn challenge_view(&self) -> Option<ChallengeView> {
        let challenge = self.challenge.as_ref()?;
        Some(ChallengeView {
            token: challenge.token.clone(),
            order_id: self.order_id.clone(),
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            masked_card: self.card_masked.clone(),
            code: challenge.code.clone(),
            return_url: challenge.return_url.clone(),
            outcome: challenge.outcome,
        })
    }

    /// Moves a decided order to its final status.
    fn settle(&mut self, status: OrderStatus, decline_code: Option<DeclineCode>) {
        self.status = status;
        self.decline_code = decline_code;
        self.charged = status == OrderStatus::Approved;
        self.reference = Some(new_reference());
    }
}

/// splitmix64: small, fast and good enough to draw faults reproducibly.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

#[derive(Default)]
struct State {
    orders: Vec<Order>,
    by_id: HashMap<String, usize>,
    by_token: HashMap<String, usize>,
    authorise_requests: usize,
}

struct Notifier {
    http: reqwest::Client,
    url: reqwest::Url,
    /// The path (and query) the notification is signed with.
    path: String,
    key: Vec<u8>,
}

/// How to deliver one notification.
#[derive(Clone, Copy, Default)]
struct Delivery {
    duplicate: bool,
    late: bool,
}

/// The sandbox acquirer. Thread-safe; share it as `Arc<Engine>`.
pub struct Engine {
    acs_base_url: String,
    notifier: Option<Notifier>,
    /// Key of the card fingerprints; random per engine, never leaves it.
    fingerprint_key: [u8; 32],
    state: Mutex<State>,
    faults: Mutex<(FaultPlan, SplitMix64)>,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("acs_base_url", &self.acs_base_url)
            .field("notify", &self.notifier.as_ref().map(|n| n.url.as_str()))
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(config: EngineConfig) -> Arc<Engine> {
        let seed = config.seed.unwrap_or_else(random_u64);
        let mut fingerprint_key = [0u8; 32];
        fingerprint_key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        fingerprint_key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let notifier = config.notify.and_then(build_notifier);
        Arc::new(Engine {
            acs_base_url: config.acs_base_url.trim_end_matches('/').to_owned(),
            notifier,
            fingerprint_key,
            state: Mutex::new(State::default()),
            faults: Mutex::new((sanitised(config.faults), SplitMix64(seed))),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave an order half-written
        // in a way that matters more than refusing every later request would.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fault_state(&self) -> MutexGuard<'_, (FaultPlan, SplitMix64)> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the fault plan; the random sequence continues.
    pub fn set_faults(&self, plan: FaultPlan) {
        self.fault_state().0 = sanitised(plan);
    }

    pub fn faults(&self) -> FaultPlan {
        self.fault_state().0.clone()
    }

    /// How long the transport holds an answer for [`Fault::TimeoutAfterCharge`].
    pub fn fault_hold(&self) -> Duration {
        Duration::from_millis(self.fault_state().0.timeout_ms)
    }

    async fn latency(&self) {
        let latency = self.fault_state().0.latency_ms;
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
    }

    /// Decides an authorisation. Idempotent on `order_id`: the same order id
    /// with the same amount, currency and card answers with the order as it
    /// stands, and never charges twice; with other details it is a conflict.
    pub async fn authorise(&self, request: AuthoriseRequest) -> Result<Answer, EngineError> {
        self.state().authorise_requests += 1;
        self.latency().await;
        validate(&request)?;
        let fingerprint = self.fingerprint(&request.card.number);

        let (answer, notify) = {
            let mut state = self.state();
            if let Some(&index) = state.by_id.get(&request.order_id) {
                let order = &state.orders[index];
                if order.amount_minor != request.amount_minor
                    || order.currency != request.currency
                    || order.card_fingerprint != fingerprint
                {
                    tracing::info!(order_id = %request.order_id, "order id reused with other details");
                    return Err(EngineError::Conflict);
                }
                tracing::info!(order_id = %order.order_id, status = ?order.status, "repeated authorisation");
                let response = order.response(&self.acs_base_url);
                return Ok(Answer {
                    response,
                    fault: None,
                });
            }

            let (status, decline_code, three_ds, fault, delivery) = match self
                .decide(&request.card, Utc::now())
            {
                Decision::Refuse => {
                    tracing::info!(order_id = %request.order_id, "refused to process (test card)");
                    return Err(EngineError::Unavailable(
                        "the acquirer is temporarily unable to process this card".to_owned(),
                    ));
                }
                Decision::Fail(fault) => {
                    tracing::info!(order_id = %request.order_id, ?fault, "failing before the charge");
                    return Ok(Answer {
                        response: echo(&request),
                        fault: Some(fault),
                    });
                }
                Decision::Decided {
                    status,
                    decline_code,
                    three_ds,
                    fault,
                    delivery,
                } => (status, decline_code, three_ds, fault, delivery),
            };

            let number = &request.card.number;
            let mut order = Order {
                order_id: request.order_id.clone(),
                amount_minor: request.amount_minor,
                currency: request.currency.clone(),
                card_fingerprint: fingerprint,
                card_first6: number[..6].to_owned(),
                card_last4: number[number.len() - 4..].to_owned(),
                card_masked: request.card.masked(),
                card_brand: brand(number),
                status,
                reference: None,
                decline_code: None,
                three_ds,
                challenge: None,
                refunded_minor: None,
                charged: false,
                created_at: Utc::now(),
            };
            if status == OrderStatus::ChallengeRequired {
                let token = uuid::Uuid::new_v4().simple().to_string();
                order.challenge = Some(ChallengeState {
                    token: token.clone(),
                    code: format!("{:06}", random_u64() % 1_000_000),
                    return_url: request.return_url.clone(),
                    outcome: None,
                });
                let index = state.orders.len();
                state.by_token.insert(token, index);
            } else {
                order.settle(status, decline_code);
            }
            tracing::info!(
                order_id = %order.order_id,
                status = ?order.status,
                decline_code = ?order.decline_code,
                three_ds = ?order.three_ds,
                card = %order.card_masked,
                ?fault,
                "authorised"
            );
            let answer = Answer {
                response: order.response(&self.acs_base_url),
                fault,
            };
            let notify = (status != OrderStatus::ChallengeRequired)
                .then(|| (order.notification(), delivery));
            let index = state.orders.len();
            state.by_id.insert(order.order_id.clone(), index);
            state.orders.push(order);
            (answer, notify)
        };
        if let Some((notification, delivery)) = notify {
            self.notify(notification, delivery);
        }
        Ok(answer)
    }

    /// The outcome for a card, with any per-card or random fault.
    fn decide(&self, card: &CardData, now: DateTime<Utc>) -> Decision {
        let decided = |status, decline_code, three_ds| Decision::Decided {
            status,
            decline_code,
            three_ds,
            fault: None,
            delivery: Delivery::default(),
        };
        if expired(card, now) {
            return decided(OrderStatus::Declined, Some(DeclineCode::ExpiredCard), None);
        }
        match card_behaviour(&card.number) {
            CardBehaviour::Decline(code) => decided(OrderStatus::Declined, Some(code), None),
            CardBehaviour::Unavailable => Decision::Refuse,
            CardBehaviour::Frictionless => {
                decided(OrderStatus::Approved, None, Some(ThreeDsMode::Frictionless))
            }
            CardBehaviour::Challenge => decided(
                OrderStatus::ChallengeRequired,
                None,
                Some(ThreeDsMode::Challenge),
            ),
            CardBehaviour::Fault(fault) if !fault.charged() => Decision::Fail(fault),
            CardBehaviour::Fault(fault) => Decision::Decided {
                status: OrderStatus::Approved,
                decline_code: None,
                three_ds: None,
                fault: Some(fault),
                delivery: Delivery::default(),
            },
            CardBehaviour::Approve => {
                let kind = {
                    let mut faults = self.fault_state();
                    let (plan, rng) = &mut *faults;
                    if plan.rate > 0.0 && rng.next_f64() < plan.rate {
                        let kinds = plan.draw_kinds();
                        Some(kinds[rng.below(kinds.len())])
                    } else {
                        None
                    }
                };
                let fault = kind.and_then(FaultKind::transport_fault);
                if let Some(fault) = fault.filter(|f| !f.charged()) {
                    return Decision::Fail(fault);
                }
                Decision::Decided {
                    status: OrderStatus::Approved,
                    decline_code: None,
                    three_ds: None,
                    fault,
                    delivery: Delivery {
                        duplicate: kind == Some(FaultKind::DuplicateNotification),
                        late: kind == Some(FaultKind::LateNotification),
                    },
                }
            }
        }
    }

    /// The merchant's call after the browser came back with `cres`: charges a
    /// passed challenge, declines a failed one. Idempotent.
    pub async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<OrderResponse, EngineError> {
        self.latency().await;
        let (response, notification) = {
            let mut state = self.state();
            let index = *state.by_id.get(order_id).ok_or(EngineError::NotFound)?;
            let order = &mut state.orders[index];
            let Some(challenge) = &order.challenge else {
                return Err(EngineError::Conflict);
            };
            if challenge.token != cres {
                return Err(EngineError::Invalid(
                    "cres does not belong to this order".to_owned(),
                ));
            }
            if order.status != OrderStatus::ChallengeRequired {
                return Ok(order.response(&self.acs_base_url));
            }
            match challenge.outcome {
                None => return Err(EngineError::NotReady),
                Some(ChallengeOutcome::Passed) => order.settle(OrderStatus::Approved, None),
                Some(ChallengeOutcome::Failed) => {
                    order.settle(OrderStatus::Declined, Some(DeclineCode::ThreeDsFailed));
                }
            }
            tracing::info!(order_id = %order.order_id, status = ?order.status, "challenge completed");
            (order.response(&self.acs_base_url), order.notification())
        };
        self.notify(notification, Delivery::default());
        Ok(response)
    }

    pub fn order(&self, order_id: &str) -> Option<OrderResponse> {
        let state = self.state();
        let index = *state.by_id.get(order_id)?;
        Some(state.orders[index].response(&self.acs_base_url))
    }

    /// Refunds an approved order (whole or in part, once). Idempotent for the
    /// same amount.
    pub fn refund(&self, order_id: &str, amount_minor: i64) -> Result<OrderResponse, EngineError> {
        let mut state = self.state();
        let index = *state.by_id.get(order_id).ok_or(EngineError::NotFound)?;
        let order = &mut state.orders[index];
        if amount_minor <= 0 || amount_minor > order.amount_minor {
            return Err(EngineError::Invalid(
                "amount_minor must be positive and at most the order's amount".to_owned(),
            ));
        }
        match order.status {
            OrderStatus::Approved => {
                order.status = OrderStatus::Refunded;
                order.refunded_minor = Some(amount_minor);
                tracing::info!(order_id, amount_minor, "refunded");
            }
            OrderStatus::Refunded if order.refunded_minor == Some(amount_minor) => {}
            OrderStatus::Refunded => {
                return Err(EngineError::Conflict);
            }
            OrderStatus::Declined | OrderStatus::ChallengeRequired => {
                return Err(EngineError::Conflict);
            }
        }
        Ok(order.response(&self.acs_base_url))
    }

    /// Every charge: orders approved, or approved and later refunded, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.state()
            .orders
            .iter()
            .filter(|order| order.charged)
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every order kept, charged or not, oldest first.
    pub fn all_orders(&self) -> Vec<LedgerEntry> {
        self.state()
            .orders
            .iter()
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every authorisation that reached the engine, repeats and invalid ones included.
    pub fn authorise_requests(&self) -> usize {
        self.state().authorise_requests
    }

    /// How many orders were charged.
    pub fn charges(&self) -> usize {
        self.state().orders.iter().filter(|o| o.charged).count()
    }

    /// The challenge page's view of a token; `None` for an unknown token.
    pub fn challenge(&self, token: &str) -> Option<ChallengeView> {
        let state = self.state();
        let index = *state.by_token.get(token)?;
        state.orders[index].challenge_view()
    }

    /// Records the cardholder's answer. One attempt: a wrong code fails the
    /// challenge. Answering again changes nothing and returns the first
    /// answer. `None` for an unknown token. Never charges.
    pub fn answer_challenge(&self, token: &str, action: ChallengeAction) -> Option<ChallengeView> {
        let mut state = self.state();
        let index = *state.by_token.get(token)?;
        let order = &mut state.orders[index];
        if let Some(challenge) = order.challenge.as_mut()
            && challenge.outcome.is_none()
        {
            let outcome = match action {
                ChallengeAction::Confirm { code } if code.trim() == challenge.code => {
                    ChallengeOutcome::Passed
                }
                ChallengeAction::Confirm { .. } | ChallengeAction::Cancel => {
                    ChallengeOutcome::Failed
                }
            };
            challenge.outcome = Some(outcome);
            tracing::info!(order_id = %order.order_id, ?outcome, "challenge answered");
        }
        order.challenge_view()
    }

    fn fingerprint(&self, number: &str) -> String {
        protocol::sign(&self.fingerprint_key, 0, "card", "", number.as_bytes())
    }

    /// Posts the notification in the background; failures are logged, never retried.
    fn notify(&self, notification: Notification, delivery: Delivery) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(order_id = %notification.order_id, "no async runtime: notification not sent");
            return;
        };
        let body = match serde_json::to_vec(&notification) {
            Ok(body) => body,
            Err(_) => {
                tracing::warn!(order_id = %notification.order_id, "notification not serialisable");
                return;
            }
        };
        let http = notifier.http.clone();
        let url = notifier.url.clone();
        let path = notifier.path.clone();
        let key = notifier.key.clone();
        let delay = if delivery.late {
            Duration::from_millis(self.fault_state().0.late_notification_ms)
        } else {
            Duration::ZERO
        };
        let times = if delivery.duplicate { 2 } else { 1 };
        let order_id = notification.order_id;
        runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            for _ in 0..times {
                let timestamp = protocol::now_unix();
                let signature = protocol::sign(&key, timestamp, "POST", &path, &body);
                let sent = http
                    .post(url.clone())
                    .header(protocol::TIMESTAMP_HEADER, timestamp.to_string())
                    .header(protocol::SIGNATURE_HEADER, signature)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        tracing::debug!(%order_id, "notification delivered");
                    }
                    Ok(response) => {
                        tracing::warn!(%order_id, status = response.status().as_u16(), "notification refused");
                    }
                    Err(error) => {
                        tracing::warn!(%order_id, timeout = error.is_timeout(), connect = error.is_connect(), "notification failed");
                    }
                }
            }
        });
    }
}

enum Decision {
    /// Answer 503, keep nothing.
    Refuse,
    /// Keep nothing; the transport acts out the fault.
    Fail(Fault),
    Decided {
        status: OrderStatus,
        decline_code: Option<DeclineCode>,
        three_ds: Option<ThreeDsMode>,
        fault: Option<Fault>,
        delivery: Delivery,
    },
}

fn build_notifier(config: NotifyConfig) -> Option<Notifier> {
    let Ok(url) = reqwest::Url::parse(&config.url) else {
        tracing::error!("the notification URL is not a valid URL; notifications are off");
        return None;
    };
    if !matches!(url.scheme(), "http" | "https") {
        tracing::error!("the notification URL is not http(s); notifications are off");
        return None;
    }
    let http = match reqwest::Client::builder().timeout(NOTIFY_TIMEOUT).build() {
        Ok(http) => http,
        Err(_) => {
            tracing::error!("could not build the notification HTTP client; notifications are off");
            return None;
        }
    };
    let path = path_and_query(&url);
    Some(Notifier {
        http,
        url,
        path,
        key: config.key,
    })
}

/// The path and query of a URL, as a signature covers them.
pub(crate) fn path_and_query(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

fn sanitised(mut plan: FaultPlan) -> FaultPlan {
    if !(0.0..=1.0).contains(&plan.rate) {
        plan.rate = if plan.rate > 1.0 { 1.0 } else { 0.0 };
    }
    plan
}

fn random_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

fn new_reference() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("SBX{}", id[..12].to_ascii_uppercase())
}

/// The response for a request that left nothing behind.
fn echo(request: &AuthoriseRequest) -> OrderResponse {
    OrderResponse {
        order_id: request.order_id.clone(),
        status: OrderStatus::Declined,
        amount_minor: request.amount_minor,
        currency: request.currency.clone(),
        reference: None,
        decline_code: None,
        challenge: None,
        three_ds: None,
    }
}

/// A card is valid to the end of its expiry month (UTC).
fn expired(card: &CardData, now: DateTime<Utc>) -> bool {
    let (year, month) = (now.year(), now.month());
    (i32::from(card.exp_year), u32::from(card.exp_month)) < (year, month)
}

/// Luhn check over ASCII digits.
pub fn luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card scheme, from the leading digits.
fn brand(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => "visa",
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
        (_, _, Some(2200..=2204)) => "mir",
        (_, Some(34 | 37), _) => "amex",
        _ => "unknown",
    }
}

fn is_order_id(id: &str) -> bool {
    // At least one letter or digit: `.` and `..` are path segments a URL
    // parser would swallow.
    (1..=64).contains(&id.len())
        && id.bytes().any(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An absolute http(s) URL, or a path on the challenge page's own origin.
pub(crate) fn valid_return_url(url: &str) -> bool {
    if url.is_empty() || url.len() > 2048 || url.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    if url.starts_with('/') {
        // `//host` and `/\host` are other origins to a browser.
        return !url.starts_with("//") && !url.starts_with("/\\");
    }
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// Checks a request; the messages never echo card values.
pub fn validate(request: &AuthoriseRequest) -> Result<(), EngineError> {
    let invalid = |message: &str| Err(EngineError::Invalid(message.to_owned()));
    let card = &request.card;
    if !is_order_id(&request.order_id) {
        return invalid(
            "order_id must be 1 to 64 letters, digits, '-', '_' or '.', with a letter or digit",
        );
    }
    if request.amount_minor <= 0 {
        return invalid("amount_minor must be positive");
    }
    if request.amount_minor > MAX_AMOUNT_MINOR {
        return invalid("amount_minor is too large");
    }
    if request.currency != CURRENCY {
        return invalid("currency must be KGS");
    }
    if !(12..=19).contains(&card.number.len()) || !card.number.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("card number must be 12 to 19 digits");
    }
    if !luhn_valid(&card.number) {
        return invalid("card number fails the Luhn check");
    }
    if !(1..=12).contains(&card.exp_month) {
        return invalid("exp_month must be 1 to 12");
    }
    if !(2000..=2099).contains(&card.exp_year) {
        return invalid("exp_year must be a four-digit year");
    }
    if !(3..=4).contains(&card.cvv.len()) || !card.cvv.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("cvv must be 3 or 4 digits");
    }
    if card.holder.chars().count() > 100 || card.holder.chars().any(char::is_control) {
        return invalid("holder must be at most 100 characters, without control characters");
    }
    if !valid_return_url(&request.return_url) {
        return invalid("return_url must be an absolute http(s) URL or a path");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cards_are_luhn_valid_and_distinct() {
        for (number, _) in TEST_CARDS {
            assert!(luhn_valid(number), "{number}");
        }
        let mut numbers: Vec<_> = TEST_CARDS.iter().map(|(n, _)| n).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), TEST_CARDS.len());
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111-1111"));
    }

    #[test]
    fn brands() {
        assert_eq!(brand("4111111111111111"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("2200000000000004"), "mir");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "unknown");
    }

    #[test]
    fn splitmix_is_deterministic_and_spread() {
        let mut a = SplitMix64(7);
        let mut b = SplitMix64(7);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_f64()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.next_f64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let below_half = xs.iter().filter(|x| **x < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
    }

    #[test]
    fn return_urls() {
        assert!(valid_return_url("https://tolem.kg/pay/return"));
        assert!(valid_return_url("http://127.0.0.1:3000/x?y=1"));
        assert!(valid_return_url("/pay/3ds-return"));
        assert!(!valid_return_url("//evil.example/x"));
        assert!(!valid_return_url("/\\evil.example"));
        assert!(!valid_return_url("javascript:alert(1)"));
        assert!(!valid_return_url("ftp://host/x"));
        assert!(!valid_return_url("relative/path"));
        assert!(!valid_return_url("/a\nb"));
    }

    #[test]
    fn expiry_is_the_end_of_the_month() {
        let card = |exp_month, exp_year| CardData {
            number: "4111111111111111".into(),
            exp_month,
            exp_year,
            cvv: "123".into(),
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

    #[test]
    fn fault_kinds_parse_by_name() {
        for kind in FaultKind::ALL {
            assert_eq!(kind.name().parse::<FaultKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).expect("json"),
                format!("\"{}\"", kind.name())
            );
        }
        assert!("explode".parse::<FaultKind>().is_err());
    }
}
