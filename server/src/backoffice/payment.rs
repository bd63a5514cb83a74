//! A payment's page in the back office: everything stored about it (its
//! events, refunds and webhook deliveries to the agency), and for the roles
//! that may refund, the refund form with what is left to return.

use super::guard::Ctx;
use super::payments::listed;
use super::{BackOffice, busy, not_found};
use app::backoffice::payment::{DeliveryLine, EventLine, PaymentDetail, RefundLine, ThreeDs};
use app::backoffice::refund::RefundForm;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::staff::Permission;
use domain::{Money, PaymentState};

fn three_ds(events: &[crate::storage::PaymentEvent], state: PaymentState) -> ThreeDs {
    if !events.iter().any(|e| e.to == PaymentState::ThreeDsRequired) {
        return ThreeDs::NotAsked;
    }
    match state {
        PaymentState::ThreeDsRequired => ThreeDs::Waiting,
        PaymentState::Succeeded => ThreeDs::Passed,
        _ => ThreeDs::NotPassed,
    }
}

pub async fn detail(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    page(&bo, &ctx, &id, None).await
}

/// The payment's page; `sent` is a refund form sent back with what was
/// wrong with it (answered 422), `None` a fresh page.
pub async fn page(bo: &BackOffice, ctx: &Ctx, id: &str, sent: Option<RefundForm>) -> Response {
    let Some(mut frame) = ctx.frame() else {
        return busy();
    };
    // Also the answer to a refund's form: the language switch comes back
    // to the page, not to the form's address.
    frame.here = format!("/admin/payments/{id}");
    let row = match bo.store.payment_row(id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(ctx),
        Err(_) => return busy(),
    };
    let Ok(payment_id) = domain::PaymentId::parse(id) else {
        return not_found(ctx);
    };
    let (events, refunds) = tokio::join!(
        bo.store.events(&payment_id),
        bo.store.refunds_of(&payment_id),
    );
    let (Ok(events), Ok(refunds)) = (events, refunds) else {
        return busy();
    };
    let mut deliveries = Vec::new();
    if let Some(agency) = &row.agency_id {
        let Ok(request_events) = bo.store.request_events(agency, &row.code).await else {
            return busy();
        };
        for event in request_events {
            let (state, attempts) = tokio::join!(
                bo.store.delivery_state(&event.id),
                bo.store.delivery_attempts(&event.id),
            );
            let attempts = attempts
                .unwrap_or_default()
                .into_iter()
                .map(|a| {
                    let outcome = a
                        .status_code
                        .map(|s| s.to_string())
                        .or(a.error)
                        .unwrap_or_default();
                    (a.attempt, outcome, a.latency_ms)
                })
                .collect();
            deliveries.push(DeliveryLine {
                event_id: event.id,
                kind: event.kind,
                at: event.at,
                state: state.ok().flatten().unwrap_or_default(),
                attempts,
            });
        }
    }
    let names = frame.role.may(Permission::ReadApplicantNames);
    let status = if sent.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let refund_form = match sent {
        Some(form) => Some(form),
        None if frame.role.may(Permission::Refund) && row.state == PaymentState::Succeeded => {
            let Ok(refundable) = bo.payments.refundable(&payment_id).await else {
                return busy();
            };
            (refundable > Money::ZERO).then(|| RefundForm::new(refundable))
        }
        None => None,
    };
    let _ = bo
        .desk
        .audit(
            &ctx.actor(),
            "payment_viewed",
            Some(("payment", &row.id)),
            None,
        )
        .await;
    let detail = PaymentDetail {
        listed: listed(&row),
        applicant: if names {
            row.applicant_name.clone()
        } else {
            domain::mask_person_name(&row.applicant_name)
        },
        agency_reference: row.agency_reference.clone(),
        acquirer_reference: row.acquirer_reference.clone(),
        decline_reason: row.decline_reason.clone(),
        completed_at: row.completed_at,
        three_ds: three_ds(&events, row.state),
        privacy_policy_edition: row.privacy_policy_edition,
        user_agreement_edition: row.user_agreement_edition,
        events: events
            .into_iter()
            .map(|e| EventLine {
                at: e.at,
                from: e.from,
                to: e.to,
                reason: e.reason,
            })
            .collect(),
        refunds: refunds
            .into_iter()
            .map(|r| RefundLine {
                id: r.id,
                amount: r.amount,
                state: r.state,
                cause: r.cause,
                reference: r.reference,
                created_at: r.created_at,
                asked_by: r.asked_by,
                note: r.note,
            })
            .collect(),
        deliveries,
        refund_form,
    };
    let page = app::backoffice::payment::render(ctx.locale, &frame, &detail);
    (status, Html(page)).into_response()
}
