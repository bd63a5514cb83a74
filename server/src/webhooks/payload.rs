//! The body of a webhook: `{"type", "timestamp", "data"}` as the Standard
//! Webhooks specification suggests, `data` being the payment request as
//! the API shows it, in the status the event gave it, and for a refund's
//! outcome the refund.

use crate::agencies::view::{EventType, PaymentRequestView, Status};
use crate::storage::{Delivery, IssuedRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A refund, in a refund event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    pub id: String,
    /// In tyiyn.
    pub amount: Option<i64>,
    pub succeeded: bool,
}

/// What the data of an event holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventData {
    #[serde(flatten)]
    pub request: PaymentRequestView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<RefundView>,
}

/// A webhook's body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct WebhookBody {
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    pub data: EventData,
}

pub fn body(
    delivery: &Delivery,
    request: &IssuedRequest,
    refund_amount: Option<i64>,
    site_url: &str,
) -> Option<String> {
    let kind = EventType::from_stored(&delivery.event.kind)?;
    let mut view = PaymentRequestView::new(request, site_url);
    // The status the event reports, whatever happened since.
    view.status = match kind {
        EventType::Created => Status::AwaitingPayment,
        EventType::Paid | EventType::RefundSucceeded | EventType::RefundFailed => Status::Paid,
        EventType::Expired => Status::Expired,
        EventType::Cancelled => Status::Cancelled,
    };
    let refund = delivery.event.refund_id.as_ref().map(|id| RefundView {
        id: id.clone(),
        amount: refund_amount,
        succeeded: kind == EventType::RefundSucceeded,
    });
    serde_json::to_string(&WebhookBody {
        kind,
        timestamp: delivery.event.at,
        data: EventData {
            request: view,
            refund,
        },
    })
    .ok()
}
