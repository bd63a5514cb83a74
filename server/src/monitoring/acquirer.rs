//! Acquirer calls timed and counted: a [`CardProcessor`] around the real
//! one, so every call the payment service makes (authorisations, challenge
//! completions, status queries, refunds) is measured in one place, whether
//! it goes to the in-process sandbox or over HTTP. It also notes when the
//! acquirer last answered, for the readiness check ([`LastAnswer`]).

use super::{ACQUIRER_CALLS, ACQUIRER_SECONDS};
use crate::processor::{Authorisation, CardProcessor, Outcome, ProcessorError, RefundDone};
use async_trait::async_trait;
use domain::Money;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Metered {
    inner: Arc<dyn CardProcessor>,
    last_answer: Arc<LastAnswer>,
}

impl Metered {
    pub fn new(inner: Arc<dyn CardProcessor>) -> Metered {
        Metered {
            inner,
            last_answer: Arc::new(LastAnswer::new()),
        }
    }

    /// When the acquirer last answered a call of this process.
    pub fn last_answer(&self) -> Arc<LastAnswer> {
        self.last_answer.clone()
    }
}

/// The moment of the acquirer's latest answer (any answer: a decline or
/// "no such order" proves the link and the key as well as an approval).
pub struct LastAnswer {
    start: Instant,
    /// Milliseconds after `start`, plus one; 0: never.
    at: AtomicU64,
}

impl LastAnswer {
    fn new() -> LastAnswer {
        LastAnswer {
            start: Instant::now(),
            at: AtomicU64::new(0),
        }
    }

    fn saw(&self) {
        let millis = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.at.fetch_max(millis + 1, Ordering::Relaxed);
    }

    /// How long ago it answered; `None`: not since this process started.
    pub fn age(&self) -> Option<Duration> {
        match self.at.load(Ordering::Relaxed) {
            0 => None,
            at => Some(
                self.start
                    .elapsed()
                    .saturating_sub(Duration::from_millis(at - 1)),
            ),
        }
    }
}

/// What a call came to, as a label: an answer, a refusal to process, or
/// no clear answer.
trait Answer {
    fn label(&self) -> &'static str;
}

impl<T> Answer for std::result::Result<T, ProcessorError> {
    fn label(&self) -> &'static str {
        match self {
            Ok(_) => "answered",
            Err(ProcessorError::NotProcessed(_)) => "not_processed",
            Err(ProcessorError::Unknown(_)) => "unknown",
        }
    }
}

async fn timed<T>(
    last_answer: &LastAnswer,
    call: &'static str,
    work: impl Future<Output = std::result::Result<T, ProcessorError>>,
) -> std::result::Result<T, ProcessorError> {
    let started = Instant::now();
    let answer = work.await;
    if answer.is_ok() {
        last_answer.saw();
    }
    metrics::histogram!(ACQUIRER_SECONDS, "call" => call).record(started.elapsed().as_secs_f64());
    metrics::counter!(ACQUIRER_CALLS, "call" => call, "result" => answer.label()).increment(1);
    answer
}

#[async_trait]
impl CardProcessor for Metered {
    async fn authorise(
        &self,
        request: Authorisation<'_>,
    ) -> std::result::Result<Outcome, ProcessorError> {
        timed(
            &self.last_answer,
            "authorise",
            self.inner.authorise(request),
        )
        .await
    }

    async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> std::result::Result<Outcome, ProcessorError> {
        timed(
            &self.last_answer,
            "complete_challenge",
            self.inner.complete_challenge(order_id, cres),
        )
        .await
    }

    async fn status(&self, order_id: &str) -> std::result::Result<Option<Outcome>, ProcessorError> {
        timed(&self.last_answer, "status", self.inner.status(order_id)).await
    }

    async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount: Money,
    ) -> std::result::Result<RefundDone, ProcessorError> {
        timed(
            &self.last_answer,
            "refund",
            self.inner.refund(order_id, refund_id, amount),
        )
        .await
    }

    async fn refund_status(
        &self,
        order_id: &str,
        refund_id: &str,
    ) -> std::result::Result<Option<RefundDone>, ProcessorError> {
        timed(
            &self.last_answer,
            "refund_status",
            self.inner.refund_status(order_id, refund_id),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::LastAnswer;
    use std::time::Duration;

    #[test]
    fn an_answer_is_dated_and_never_is_none() {
        let last = LastAnswer::new();
        assert_eq!(last.age(), None);
        last.saw();
        let age = last.age().expect("it answered");
        assert!(age < Duration::from_secs(1), "{age:?}");
    }
}
