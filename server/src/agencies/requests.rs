//! What an agency does with its payment requests: issue one (a new random
//! code, idempotently), read one, list them a page at a time, cancel one,
//! read its events. A request of another agency is answered exactly as one
//! that does not exist.

use super::draft::{self, FieldError, Rules};
use super::view::{EventList, EventView, PaymentRequestPage, PaymentRequestView};
use super::{Caller, Desk, keys};
use crate::storage::{Issued, IssuedRequest, KeptAnswer, RequestFilter, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use domain::{ISSUED_RANDOM_DIGITS, PaymentCode, RequestStatus};
use rand::Rng;
use std::collections::HashMap;

/// How long the answer to an idempotent POST is replayed.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;
/// New codes drawn before giving up on a free one (a clash is one in
/// billions while there are fewer than a million requests).
const CODE_DRAWS: usize = 5;
/// The times a list is bounded by when it names none: both databases hold
/// them, and SQLite compares them rightly as text (four-digit years).
const EARLIEST: DateTime<Utc> = DateTime::<Utc>::UNIX_EPOCH;
const LATEST: DateTime<Utc> = match DateTime::from_timestamp(253_402_300_799, 0) {
    Some(at) => at,
    None => DateTime::<Utc>::UNIX_EPOCH,
};
/// Requests per page by default, and at most.
const PAGE: i64 = 20;
const LARGEST_PAGE: i64 = 100;

/// Why an agency's request was refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("no such payment request")]
    NotFound,
    #[error("the payment request is paid")]
    AlreadyPaid,
    #[error("a payment for this request is under way")]
    PaymentInProgress,
    #[error("the payment request has expired")]
    Expired,
    #[error("this Idempotency-Key was used with another request")]
    KeyReused,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A POST's `Idempotency-Key` and the fingerprint of what was asked.
#[derive(Clone, Copy, Debug)]
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
}

/// An answer to a POST: new, or the first one replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// The filters and page of a list, as sent.
pub type ListQuery = HashMap<String, String>;

fn field(field: &'static str, code: &'static str, detail: &str) -> RequestError {
    RequestError::Invalid(vec![FieldError {
        field,
        code,
        detail: detail.to_owned(),
    }])
}

impl Desk {
    fn fresh_since(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::hours(IDEMPOTENCY_WINDOW_HOURS)
    }

    /// The answer kept under the key: replayed when the same thing was
    /// asked, refused when something else was.
    pub async fn replay(
        &self,
        caller: &Caller,
        idempotency: Idempotency<'_>,
    ) -> Result<Option<Answer>, RequestError> {
        let now = (self.clock)();
        let Some(kept) = self
            .store
            .stored_answer(&caller.agency.id, idempotency.key, self.fresh_since(now))
            .await?
        else {
            return Ok(None);
        };
        if kept.fingerprint != idempotency.fingerprint {
            return Err(RequestError::KeyReused);
        }
        Ok(Some(Answer {
            status: kept.status,
            body: kept.body,
            replayed: true,
        }))
    }

    pub async fn issue(
        &self,
        caller: &Caller,
        body: &serde_json::Value,
        idempotency: Option<Idempotency<'_>>,
    ) -> Result<Answer, RequestError> {
        // PostgreSQL keeps microseconds: the answer shows what is stored.
        let now = (self.clock)().trunc_subsecs(6);
        let rules = Rules {
            services: &caller.agency.services,
            max_amount_tyiyn: self.settings.max_amount_tyiyn,
            now,
        };
        let draft = draft::parse(body, &rules).map_err(RequestError::Invalid)?;
        for _ in 0..CODE_DRAWS {
            let random: [u8; ISSUED_RANDOM_DIGITS] =
                std::array::from_fn(|_| rand::thread_rng().gen_range(0..10));
            let request = IssuedRequest {
                code: PaymentCode::issue(draft.service, random),
                agency_id: caller.agency.id.clone(),
                service: draft.service,
                applicant_name: draft.applicant_name.clone(),
                amount: draft.amount,
                status: RequestStatus::AwaitingPayment,
                expires_at: draft.expires_at.trunc_subsecs(6),
                reference: draft.reference.clone(),
                description: draft.description.clone(),
                created_at: now,
                paid_at: None,
                receipt_number: None,
            };
            let body = serde_json::to_string(&PaymentRequestView::new(&request, &self.site_url))
                .map_err(|_| StoreError::Corrupt("a request that cannot be shown"))?;
            let kept = idempotency.map(|i| KeptAnswer {
                key: i.key,
                fingerprint: i.fingerprint,
                status: 201,
                body: &body,
                fresh_since: self.fresh_since(now),
            });
            let event = keys::new_id("evt");
            match self.store.issue_request(&request, &event, kept).await {
                Ok(Issued::Created) => {
                    tracing::info!(code = %request.code, agency = %caller.agency.id, "payment request issued");
                    return Ok(Answer {
                        status: 201,
                        body,
                        replayed: false,
                    });
                }
                Ok(Issued::KeyTaken) => {
                    let Some(i) = idempotency else { break };
                    // Another request with this key won the race: its
                    // answer is the answer.
                    return self.replay(caller, i).await?.ok_or(RequestError::Store(
                        StoreError::Corrupt("an idempotency key's answer vanished"),
                    ));
                }
                Err(error) => {
                    if self.store.find_request(&request.code).await?.is_none() {
                        return Err(error.into());
                    }
                    tracing::info!("a new payment code was taken; drawing another");
                }
            }
        }
        Err(StoreError::Corrupt("no free payment code was drawn").into())
    }

    async fn issued(&self, caller: &Caller, code: &str) -> Result<IssuedRequest, RequestError> {
        let code = PaymentCode::parse(code).map_err(|_| RequestError::NotFound)?;
        self.store
            .issued_request(&caller.agency.id, &code)
            .await?
            .ok_or(RequestError::NotFound)
    }

    pub async fn get(
        &self,
        caller: &Caller,
        code: &str,
    ) -> Result<PaymentRequestView, RequestError> {
        let request = self.issued(caller, code).await?;
        Ok(PaymentRequestView::new(&request, &self.site_url))
    }

    pub async fn events(&self, caller: &Caller, code: &str) -> Result<EventList, RequestError> {
        let request = self.issued(caller, code).await?;
        let events = self
            .store
            .request_events(&caller.agency.id, &request.code)
            .await?;
        Ok(EventList {
            events: events.iter().filter_map(EventView::new).collect(),
        })
    }

    pub async fn cancel(
        &self,
        caller: &Caller,
        code: &str,
        idempotency: Option<Idempotency<'_>>,
    ) -> Result<Answer, RequestError> {
        let request = self.issued(caller, code).await?;
        let now = (self.clock)();
        let after = self
            .store
            .cancel_request(&caller.agency.id, &request.code, &keys::new_id("evt"), now)
            .await?
            .ok_or(RequestError::NotFound)?;
        match after.status {
            RequestStatus::Cancelled => {}
            RequestStatus::Paid => return Err(RequestError::AlreadyPaid),
            RequestStatus::Expired => return Err(RequestError::Expired),
            RequestStatus::AwaitingPayment => return Err(RequestError::PaymentInProgress),
        }
        self.wake.notify_one();
        let body = serde_json::to_string(&PaymentRequestView::new(&after, &self.site_url))
            .map_err(|_| StoreError::Corrupt("a request that cannot be shown"))?;
        if let Some(i) = idempotency {
            let kept = KeptAnswer {
                key: i.key,
                fingerprint: i.fingerprint,
                status: 200,
                body: &body,
                fresh_since: self.fresh_since(now),
            };
            self.store.keep_answer(&caller.agency.id, kept, now).await?;
        }
        Ok(Answer {
            status: 200,
            body,
            replayed: false,
        })
    }

    pub async fn list(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<PaymentRequestPage, RequestError> {
        let filter = filter(query)?;
        let limit = filter.limit;
        let mut rows = self
            .store
            .issued_requests(
                &caller.agency.id,
                &RequestFilter {
                    limit: limit + 1,
                    ..filter
                },
            )
            .await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last().map(cursor)
        } else {
            None
        };
        Ok(PaymentRequestPage {
            results: rows
                .iter()
                .map(|r| PaymentRequestView::new(r, &self.site_url))
                .collect(),
            next_cursor,
        })
    }
}

fn cursor(request: &IssuedRequest) -> String {
    let text = format!(
        "{}|{}",
        request
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        request.code
    );
    URL_SAFE_NO_PAD.encode(text)
}

fn parse_cursor(text: &str) -> Option<(DateTime<Utc>, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (at, code) = text.split_once('|')?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    let code = PaymentCode::parse(code).ok()?;
    Some((at, code.to_string()))
}

fn time(query: &ListQuery, name: &'static str) -> Result<Option<DateTime<Utc>>, RequestError> {
    query
        .get(name)
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| {
                    field(
                        name,
                        "not_a_time",
                        "An RFC 3339 time, like 2026-12-01T00:00:00Z.",
                    )
                })
        })
        .transpose()
}

fn filter(query: &ListQuery) -> Result<RequestFilter, RequestError> {
    let status = query
        .get("status")
        .map(|s| {
            RequestStatus::from_str_opt(s).ok_or_else(|| {
                field(
                    "status",
                    "unknown",
                    "One of awaiting_payment, paid, expired, cancelled.",
                )
            })
        })
        .transpose()?;
    let limit = match query.get("limit") {
        None => PAGE,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=LARGEST_PAGE).contains(n))
            .ok_or_else(|| field("limit", "out_of_range", "A whole number from 1 to 100."))?,
    };
    let before = query
        .get("cursor")
        .map(|c| {
            parse_cursor(c)
                .ok_or_else(|| field("cursor", "invalid", "Pass a next_cursor as given."))
        })
        .transpose()?;
    Ok(RequestFilter {
        reference: query.get("reference").cloned(),
        status,
        from: time(query, "from")?.unwrap_or(EARLIEST).max(EARLIEST),
        to: time(query, "to")?.unwrap_or(LATEST).min(LATEST),
        before,
        limit,
    })
}
