//! The HTTP gateway to a real acquirer (or the standalone sandbox acquirer):
//! signed JSON over HTTP with connect and read timeouts. Authorisation is
//! never retried: a failure after the request left is an unknown outcome.

use super::{
    Authorisation, CardProcessor, Outcome, ProcessorError, RefundDone, authorise_request, outcome,
    refund_done,
};
use acquirer::client::{Client, ClientConfig, ClientError};
use async_trait::async_trait;
use domain::Money;

pub struct GatewayProcessor {
    client: Client,
}

impl GatewayProcessor {
    pub fn new(config: ClientConfig) -> Result<Self, ProcessorError> {
        let client = Client::new(config)
            .map_err(|e| ProcessorError::NotProcessed(format!("cannot build the client: {e}")))?;
        Ok(GatewayProcessor { client })
    }
}

fn processor_error(error: ClientError) -> ProcessorError {
    match error {
        ClientError::NotSent(why) => ProcessorError::NotProcessed(format!("not sent: {why}")),
        ClientError::Rejected { status, error } => {
            ProcessorError::NotProcessed(format!("acquirer answered {status}: {error}"))
        }
        ClientError::Unknown(why) => ProcessorError::Unknown(why),
    }
}

#[async_trait]
impl CardProcessor for GatewayProcessor {
    async fn authorise(&self, request: Authorisation<'_>) -> Result<Outcome, ProcessorError> {
        let body = authorise_request(&request);
        let response = self.client.authorise(&body).await;
        drop(body);
        outcome(response.map_err(processor_error)?)
    }

    async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<Outcome, ProcessorError> {
        let response = self.client.complete_challenge(order_id, cres).await;
        outcome(response.map_err(processor_error)?)
    }

    async fn status(&self, order_id: &str) -> Result<Option<Outcome>, ProcessorError> {
        match self.client.status(order_id).await {
            Ok(Some(response)) => outcome(response).map(Some),
            Ok(None) => Ok(None),
            Err(error) => Err(processor_error(error)),
        }
    }

    async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount: Money,
    ) -> Result<RefundDone, ProcessorError> {
        let response = self
            .client
            .refund(order_id, refund_id, amount.tyiyn())
            .await
            .map_err(processor_error)?;
        Ok(refund_done(response))
    }

    async fn refund_status(
        &self,
        order_id: &str,
        refund_id: &str,
    ) -> Result<Option<RefundDone>, ProcessorError> {
        let response = self.client.refund_status(order_id, refund_id).await;
        Ok(response.map_err(processor_error)?.map(refund_done))
    }
}
