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
//! This file holds the [`Engine`], its configuration and the authorisation
//! itself; each concern it draws on has a module of its own: `cards` (the
//! test cards and what each does), `faults` (the fault plan and its seeded
//! random draws), `orders` (what an order keeps), `ledger` (the calls that
//! read orders, per-order counters), `refunds` (partial refunds, each
//! idempotent on the merchant's refund id), `challenge` (the 3-D Secure
//! challenge), `notify` (signed notifications to the merchant) and
//! `validate` (request checks). The sandbox checks card numbers itself
//! rather than with the `domain` crate's parsers, because an acquirer
//! validates independently of the merchant (it must not share the
//! merchant's bugs) and must accept numbers the merchant's brand table does
//! not know; `validate` says more.
//!
//! Some faults model an acquirer that is slow rather than broken: a charge
//! recorded only some time after the request arrived (`late_charge`,
//! `in_flight_not_found`: until then the order does not exist for any
//! read, so "no such order" is not proof that nothing was charged), an
//! approved notification that reaches the merchant before the cardholder's
//! browser returns from the challenge (`early_notification`), refunds
//! that fail a few times before they go through
//! ([`FaultPlan::refund_failures`]), and test cards whose refunds are
//! declined or answered too late.
//!
//! Card data: an order keeps the first six and last four digits, the brand
//! and a keyed hash of the number (to recognise a repeated request with the
//! same card). The full number and the CVV are dropped as soon as the request
//! has been decided and are never logged.

mod cards;
mod challenge;
mod faults;
mod ledger;
mod notify;
mod orders;
mod refunds;
mod validate;

pub use cards::{CardBehaviour, TEST_CARDS, card_behaviour};
pub use challenge::{ChallengeAction, ChallengeView};
pub use faults::{Fault, FaultKind, FaultPlan};
pub use notify::NotifyConfig;
pub use orders::ChallengeOutcome;
pub use refunds::RefundAnswer;
pub use validate::{CURRENCY, luhn_valid, validate};

use crate::protocol::{
    self, AuthoriseRequest, CardData, DeclineCode, OrderResponse, OrderStatus, ThreeDsMode,
};
use cards::expired;
use chrono::{DateTime, Utc};
use faults::FaultState;
use notify::{Delivery, Notifier, build_notifier};
use orders::ChallengeState;
use orders::{Order, State, echo};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

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
    /// HTTP 409: an authorisation repeated while the first one with this
    /// order id is still being processed (a late-recorded charge). This
    /// request charged nothing; the first one may still charge, and only a
    /// later status query can tell.
    #[error("an order with this id is still being processed; ask for its status later")]
    InProgress,
}

/// The sandbox acquirer. Thread-safe; share it as `Arc<Engine>`.
pub struct Engine {
    acs_base_url: String,
    notifier: Option<Notifier>,
    /// Key of the card fingerprints; random per engine, never leaves it.
    fingerprint_key: [u8; 32],
    state: Mutex<State>,
    faults: Mutex<FaultState>,
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
        let mut fingerprint_key = [0u8; 32];
        fingerprint_key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        fingerprint_key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let notifier = config.notify.and_then(build_notifier);
        Arc::new(Engine {
            acs_base_url: config.acs_base_url.trim_end_matches('/').to_owned(),
            notifier,
            fingerprint_key,
            state: Mutex::new(State::default()),
            faults: Mutex::new(FaultState::new(config.faults, config.seed)),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave an order half-written
        // in a way that matters more than refusing every later request would.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fault_state(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides an authorisation. Idempotent on `order_id`: the same order id
    /// with the same amount, currency and card answers with the order as it
    /// stands, and never charges twice; with other details it is a conflict.
    ///
    /// While a late-recorded charge with this order id is in flight, a
    /// repeat answers [`EngineError::InProgress`], neither the order (which
    /// does not exist yet for any other read) nor a second charge.
    pub async fn authorise(&self, request: AuthoriseRequest) -> Result<Answer, EngineError> {
        let arrived = Instant::now();
        self.state().authorise_requests += 1;
        self.latency().await;
        validate(&request)?;
        let fingerprint = self.fingerprint(&request.card.number);

        let (answer, notify) = {
            let mut state = self.state();
            if let Some(&index) = state.by_id.get(&request.order_id) {
                let order = state.order(index);
                if order.amount_minor != request.amount_minor
                    || order.currency != request.currency
                    || order.card_fingerprint != fingerprint
                {
                    tracing::info!(order_id = %request.order_id, "order id reused with other details");
                    return Err(EngineError::Conflict);
                }
                if !order.visible(Instant::now()) {
                    tracing::info!(order_id = %order.order_id, "repeated while still in flight");
                    return Err(EngineError::InProgress);
                }
                tracing::info!(order_id = %order.order_id, status = ?order.status, "repeated authorisation");
                let response = order.response(&self.acs_base_url);
                return Ok(Answer {
                    response,
                    fault: None,
                });
            }

            let decided = match self.decide(&request.card, Utc::now()) {
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
                Decision::Decided(decided) => decided,
            };
            let Decided {
                status,
                decline_code,
                three_ds,
                fault,
                mut delivery,
                early_notification,
            } = decided;

            let mut order = Order::new(&request, fingerprint, status, three_ds);
            if fault.is_some_and(Fault::recorded_late) {
                let late = Duration::from_millis(self.fault_state().plan.late_charge_ms);
                order.visible_from = Some(arrived + late);
                delivery.not_before = order.visible_from;
            }
            if status == OrderStatus::ChallengeRequired {
                let challenge = ChallengeState::new(&request.return_url, early_notification);
                let number = state.next_number();
                state.by_token.insert(challenge.token.clone(), number);
                order.challenge = Some(challenge);
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
                early_notification,
                "authorised"
            );
            let answer = Answer {
                response: order.response(&self.acs_base_url),
                fault,
            };
            let notify = (status != OrderStatus::ChallengeRequired)
                .then(|| (order.notification(), delivery));
            state.keep(order);
            (answer, notify)
        };
        if let Some((notification, delivery)) = notify {
            self.notify(notification, delivery);
        }
        Ok(answer)
    }

    /// The outcome for a card, with any per-card or random fault.
    fn decide(&self, card: &CardData, now: DateTime<Utc>) -> Decision {
        let decided = |status, decline_code, three_ds| Decided {
            status,
            decline_code,
            three_ds,
            fault: None,
            delivery: Delivery::default(),
            early_notification: false,
        };
        let challenge = |early_notification| {
            Decision::Decided(Decided {
                early_notification,
                ..decided(
                    OrderStatus::ChallengeRequired,
                    None,
                    Some(ThreeDsMode::Challenge),
                )
            })
        };
        if expired(card, now) {
            return Decision::Decided(decided(
                OrderStatus::Declined,
                Some(DeclineCode::ExpiredCard),
                None,
            ));
        }
        match card_behaviour(&card.number) {
            CardBehaviour::Decline(code) => {
                Decision::Decided(decided(OrderStatus::Declined, Some(code), None))
            }
            CardBehaviour::Unavailable => Decision::Refuse,
            CardBehaviour::Frictionless => Decision::Decided(decided(
                OrderStatus::Approved,
                None,
                Some(ThreeDsMode::Frictionless),
            )),
            CardBehaviour::Challenge => {
                // Only an early notification can go wrong with an order
                // that has not been charged yet; any other draw is ignored.
                let mut faults = self.fault_state();
                let early = faults.draw() == Some(FaultKind::EarlyNotification);
                if early {
                    faults.applied(FaultKind::EarlyNotification);
                }
                challenge(early)
            }
            CardBehaviour::ChallengeEarlyNotification => challenge(true),
            // What these cards change is their refunds (`refunds`).
            CardBehaviour::RefundsDeclined | CardBehaviour::RefundsTimeOut => {
                Decision::Decided(decided(OrderStatus::Approved, None, None))
            }
            CardBehaviour::Fault(fault) if !fault.charged() => Decision::Fail(fault),
            CardBehaviour::Fault(fault) => Decision::Decided(Decided {
                fault: Some(fault),
                ..decided(OrderStatus::Approved, None, None)
            }),
            CardBehaviour::Approve => {
                let kind = {
                    let mut faults = self.fault_state();
                    let kind = faults.draw().filter(|k| *k != FaultKind::EarlyNotification);
                    if let Some(kind) = kind {
                        faults.applied(kind);
                    }
                    kind
                };
                let fault = kind.and_then(FaultKind::transport_fault);
                if let Some(fault) = fault.filter(|f| !f.charged()) {
                    return Decision::Fail(fault);
                }
                Decision::Decided(Decided {
                    fault,
                    delivery: Delivery {
                        duplicate: kind == Some(FaultKind::DuplicateNotification),
                        late: kind == Some(FaultKind::LateNotification),
                        not_before: None,
                    },
                    ..decided(OrderStatus::Approved, None, None)
                })
            }
        }
    }

    fn fingerprint(&self, number: &str) -> String {
        protocol::sign(&self.fingerprint_key, 0, "card", "", number.as_bytes())
    }
}

enum Decision {
    /// Answer 503, keep nothing.
    Refuse,
    /// Keep nothing; the transport acts out the fault.
    Fail(Fault),
    Decided(Decided),
}

/// An order to keep.
struct Decided {
    status: OrderStatus,
    decline_code: Option<DeclineCode>,
    three_ds: Option<ThreeDsMode>,
    fault: Option<Fault>,
    delivery: Delivery,
    /// For a challenge order: the `early_notification` fault.
    early_notification: bool,
}
