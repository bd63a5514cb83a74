//! The sandbox acquirer running inside the site's process: the run command's
//! default, with the same test cards, ledger, 3-D Secure challenge page and
//! per-card faults as the standalone `sandbox-acquirer`, minus the network.

use super::{
    Authorisation, CardProcessor, Outcome, ProcessorError, RefundDone, authorise_request, outcome,
    refund_done,
};
use acquirer::engine::{Engine, EngineError};
use async_trait::async_trait;
use domain::Money;
use std::sync::Arc;

/// Where the site mounts the engine's challenge pages.
pub const ACS_PATH: &str = "/sandbox/acs";

pub struct SandboxProcessor {
    engine: Arc<Engine>,
}

impl SandboxProcessor {
    pub fn new(engine: Arc<Engine>) -> Self {
        SandboxProcessor { engine }
    }

    /// The engine, for its ledger and counters (tests) and its challenge pages.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }
}

fn engine_error(error: EngineError) -> ProcessorError {
    match error {
        EngineError::NotReady => ProcessorError::NotProcessed("challenge not answered".into()),
        other => ProcessorError::NotProcessed(other.to_string()),
    }
}

#[async_trait]
impl CardProcessor for SandboxProcessor {
    async fn authorise(&self, request: Authorisation<'_>) -> Result<Outcome, ProcessorError> {
        let answer = self
            .engine
            .authorise(authorise_request(&request))
            .await
            .map_err(engine_error)?;
        // The engine has already applied the outcome; a fault decides what
        // would reach us over a network, where a 500, a timeout or a broken
        // answer all leave the outcome unknown, charged or not.
        match answer.fault {
            None => outcome(answer.response),
            Some(fault) => Err(ProcessorError::Unknown(format!("sandbox fault {fault:?}"))),
        }
    }

    async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<Outcome, ProcessorError> {
        let response = self
            .engine
            .complete_challenge(order_id, cres)
            .await
            .map_err(engine_error)?;
        outcome(response)
    }

    async fn status(&self, order_id: &str) -> Result<Option<Outcome>, ProcessorError> {
        self.engine.status(order_id).map(outcome).transpose()
    }

    async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount: Money,
    ) -> Result<RefundDone, ProcessorError> {
        let answer = self
            .engine
            .refund(order_id, refund_id, amount.tyiyn())
            .map_err(engine_error)?;
        // Over a network the held answer would time out: made, but unknown.
        if answer.held {
            return Err(ProcessorError::Unknown(
                "sandbox: the refund's answer was held past the timeout".into(),
            ));
        }
        Ok(refund_done(answer.response))
    }

    async fn refund_status(
        &self,
        order_id: &str,
        refund_id: &str,
    ) -> Result<Option<RefundDone>, ProcessorError> {
        Ok(self
            .engine
            .refund_status(order_id, refund_id)
            .map(refund_done))
    }
}
