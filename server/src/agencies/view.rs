//! A payment request as the agency API and its webhooks show it, and the
//! schemas the OpenAPI document is generated from.

use crate::storage::{IssuedRequest, RequestEventRecord};
use chrono::{DateTime, Utc};
use domain::{RequestStatus, ServiceKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a payment request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    AwaitingPayment,
    Paid,
    Expired,
    Cancelled,
}

impl From<RequestStatus> for Status {
    fn from(status: RequestStatus) -> Status {
        match status {
            RequestStatus::AwaitingPayment => Status::AwaitingPayment,
            RequestStatus::Paid => Status::Paid,
            RequestStatus::Expired => Status::Expired,
            RequestStatus::Cancelled => Status::Cancelled,
        }
    }
}

/// The government service billed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Passport,
    DrivingLicence,
    MekenCard,
}

impl From<ServiceKind> for Service {
    fn from(kind: ServiceKind) -> Service {
        match kind {
            ServiceKind::Passport => Service::Passport,
            ServiceKind::DrivingLicence => Service::DrivingLicence,
            ServiceKind::MekenCard => Service::MekenCard,
        }
    }
}

/// A payment request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentRequestView {
    /// The payment code the citizen enters (16 digits for new requests: the
    /// service's prefix, random digits, a check digit).
    #[schema(example = "1123456789012345")]
    pub code: String,
    pub status: Status,
    pub service: Service,
    pub applicant_name: String,
    /// In tyiyn (1 som = 100 tyiyn).
    #[schema(minimum = 1, example = 150000)]
    pub amount: i64,
    /// Always KGS.
    #[schema(example = "KGS")]
    pub currency: String,
    /// The agency's own reference.
    pub reference: String,
    pub description: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When the citizen paid, and the receipt's number.
    pub paid_at: Option<DateTime<Utc>>,
    pub receipt_number: Option<i64>,
    /// The page the citizen pays at.
    pub pay_url: String,
}

impl PaymentRequestView {
    pub fn new(request: &IssuedRequest, site_url: &str) -> PaymentRequestView {
        PaymentRequestView {
            code: request.code.to_string(),
            status: request.status.into(),
            service: request.service.into(),
            applicant_name: request.applicant_name.clone(),
            amount: request.amount.tyiyn(),
            currency: "KGS".into(),
            reference: request.reference.clone(),
            description: request.description.clone(),
            expires_at: request.expires_at,
            created_at: request.created_at,
            paid_at: request.paid_at,
            receipt_number: request.receipt_number,
            pay_url: format!("{site_url}/pay/{}", request.code),
        }
    }
}

/// A new payment request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NewPaymentRequest {
    /// One of the services the agency may bill.
    pub service: Service,
    #[schema(min_length = 1, max_length = 200, example = "Асанов Бакыт Алмазович")]
    pub applicant_name: String,
    /// In tyiyn; at most the operator's maximum (1,000,000 som by default).
    #[schema(minimum = 1, example = 150000)]
    pub amount: i64,
    /// In the future, at most 366 days ahead.
    pub expires_at: DateTime<Utc>,
    #[schema(min_length = 1, max_length = 255, example = "PSP-2026-000123")]
    pub reference: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// One page of payment requests, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentRequestPage {
    pub results: Vec<PaymentRequestView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// What happened to a payment request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "payment_request.created")]
    Created,
    #[serde(rename = "payment_request.paid")]
    Paid,
    #[serde(rename = "payment_request.expired")]
    Expired,
    #[serde(rename = "payment_request.cancelled")]
    Cancelled,
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
    #[serde(rename = "refund.failed")]
    RefundFailed,
}

impl EventType {
    pub fn from_stored(kind: &str) -> Option<EventType> {
        Some(match kind {
            "payment_request.created" => EventType::Created,
            "payment_request.paid" => EventType::Paid,
            "payment_request.expired" => EventType::Expired,
            "payment_request.cancelled" => EventType::Cancelled,
            "refund.succeeded" => EventType::RefundSucceeded,
            "refund.failed" => EventType::RefundFailed,
            _ => return None,
        })
    }
}

/// An event of a payment request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// The event's id: the `webhook-id` of its delivery.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub code: String,
    pub refund_id: Option<String>,
    pub at: DateTime<Utc>,
}

impl EventView {
    pub fn new(event: &RequestEventRecord) -> Option<EventView> {
        Some(EventView {
            id: event.id.clone(),
            kind: EventType::from_stored(&event.kind)?,
            code: event.code.to_string(),
            refund_id: event.refund_id.clone(),
            at: event.at,
        })
    }
}

/// A payment request's events, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub events: Vec<EventView>,
}
