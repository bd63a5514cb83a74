//! The payment service: looks up payment requests, charges cards through the
//! configured processor and records every payment. It is what the pay flow
//! and the pages call, through `app::services::PaymentService` ([`charge`]),
//! and what the reconciliation worker and the acquirer's notifications
//! drive ([`reconcile`]). How an acquirer's answer moves a payment is
//! [`outcome`]'s.
//!
//! The rules it keeps:
//! - a payment is `authorising` in the database before the acquirer hears of
//!   it, so a crash leaves a trace that reconciliation settles;
//! - one idempotency key is one attempt: repeats get the first outcome and
//!   never reach the acquirer again;
//! - a payment code is held by at most one live payment (a unique index);
//! - an answer that may hide a charge is `unknown`, never a failure.

mod asked;
mod charge;
mod outcome;
mod reconcile;
mod refunds;

pub use asked::{AskRefundError, NOTE_CHARS};
pub use reconcile::{ReconcileReport, reconcile_forever};
pub use refunds::RefundReport;

use crate::documents::Documents;
use crate::processor::CardProcessor;
use crate::storage::{Change, PaymentRecord, PaymentStore, StoreError};
use app::services::{Clock, ServiceError};
use chrono::{DateTime, Utc};
use domain::{IdempotencyKey, PaymentId, PaymentState};
use outcome::Settlement;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Timings of settling payments, from configuration.
#[derive(Clone, Debug)]
pub struct Timings {
    /// An `authorising` payment older than this has lost its server or its
    /// answer; it must exceed the acquirer client's request timeout.
    pub stale_after: chrono::Duration,
    /// Payments left in `created` or at a challenge expire after this.
    pub abandon_after: chrono::Duration,
    /// How long the status page waits before asking the acquirer again.
    pub recheck_after: chrono::Duration,
    /// How long a repeated submit waits for the first one's answer.
    pub replay_wait: Duration,
    /// The acquirer's longest processing time: "no such order" is taken as
    /// "nothing was charged" only when this much has passed since the
    /// payment last changed (which is never before its authorisation was
    /// sent); until then the order may still be in flight.
    pub acquirer_window: chrono::Duration,
    /// A payment whose record took longer than this to commit is not sent
    /// at all, so that no authorisation leaves long after its record says.
    pub send_deadline: chrono::Duration,
    /// How many payments or refunds one pass asks the acquirer about at once.
    pub concurrency: usize,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            stale_after: chrono::Duration::seconds(60),
            abandon_after: chrono::Duration::minutes(90),
            recheck_after: chrono::Duration::seconds(2),
            replay_wait: Duration::from_secs(5),
            acquirer_window: chrono::Duration::seconds(120),
            send_deadline: chrono::Duration::seconds(5),
            concurrency: 16,
        }
    }
}

/// A new id: a UUID version 7.
///
/// Its first 48 bits are the time in milliseconds, so new ids land at the
/// end of the tables' indexes instead of on a random page each, and a
/// commit writes a few index pages rather than one per payment. The other
/// 74 bits are random (a CSPRNG): a payment id is also the receipt's
/// address, and knowing roughly when someone paid leaves 2^74 to guess.
fn new_bits() -> u128 {
    uuid::Uuid::now_v7().as_u128()
}

pub fn new_payment_id() -> PaymentId {
    PaymentId::from_u128(new_bits())
}

pub fn new_idempotency_key() -> IdempotencyKey {
    IdempotencyKey::from_u128(new_bits())
}

pub struct Payments {
    /// This service itself, for the tasks it starts.
    pub me: Weak<Payments>,
    pub store: Arc<dyn PaymentStore>,
    /// The document editions, kept in memory: a payment names those it
    /// accepted, and reloads them when they changed under it.
    pub documents: Arc<Documents>,
    pub processor: Arc<dyn CardProcessor>,
    pub clock: Clock,
    /// Prefix of the URL the issuer's challenge returns the browser to
    /// (empty: same origin as the challenge page).
    pub public_url: String,
    pub timings: Timings,
    /// The limits on card testing, asked before an attempt is recorded.
    pub guard: crate::abuse::velocity::Guard,
}

/// A storage error as the citizen hears of it: "busy, try again in a
/// moment" when no connection came free in time (already logged, once a
/// second, by the store), otherwise our failure, logged here.
pub(crate) fn internal(context: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |error| match error {
        StoreError::Busy => ServiceError::Busy,
        error => {
            tracing::error!(%error, context, "storage failed");
            ServiceError::Internal
        }
    }
}

impl Payments {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Applies a settlement to a payment still in `from`. When someone else
    /// moved it first (a notification, another server), their move stands.
    async fn settle(
        &self,
        id: &PaymentId,
        from: PaymentState,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        let change = Change {
            reason: &settlement.reason,
            reference: settlement.reference.as_deref(),
            decline_reason: settlement.decline.map(|d| d.as_str()),
            challenge_url: settlement.challenge_url.as_deref(),
        };
        match self
            .store
            .advance(id, from, settlement.to, change, self.now())
            .await
        {
            Ok(()) => {
                tracing::info!(payment_id = %id, from = %from, to = %settlement.to, reason = %settlement.reason, "payment moved");
                if settlement.to.is_final() {
                    metrics::counter!(crate::monitoring::PAYMENTS, "state" => settlement.to.as_str())
                        .increment(1);
                }
                Ok(true)
            }
            Err(StoreError::StateChanged { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The payment an idempotency key started, if any.
    async fn attempt(&self, key: &IdempotencyKey) -> Result<Option<PaymentRecord>, ServiceError> {
        self.store
            .payment_by_key(key)
            .await
            .map_err(internal("find by key"))
    }

    /// Runs `work` on every item, at most `concurrency` at once, each in a
    /// task of its own (a status call outlives a pass that is dropped).
    async fn each_bounded<T, R, F, Fut>(&self, items: Vec<T>, work: F) -> Vec<R>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(Arc<Payments>, T) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
    {
        let Some(me) = self.me.upgrade() else {
            return Vec::new();
        };
        let permits = Arc::new(Semaphore::new(self.timings.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for item in items {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let job = work(me.clone(), item);
            tasks.spawn(async move {
                let answer = job.await;
                drop(permit);
                answer
            });
        }
        let mut answers = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(answer) => answers.push(answer),
                Err(error) => tracing::error!(%error, "a reconciliation task ended abnormally"),
            }
        }
        answers
    }

    async fn record(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, ServiceError> {
        self.store
            .payment(id)
            .await
            .map_err(internal("load payment"))
    }
}

/// How long the replay of a repeated submit waits between looks.
const REPLAY_POLL: Duration = Duration::from_millis(25);
