//! A refund asked for on a payment's page (`POST /admin/payments/{id}/refunds`,
//! the finance role and admins): the form parsed into an amount and a
//! reason, the payment service records it (checking what is left to refund
//! in the same transaction), and the page comes back with the refund in its
//! list, or with the form as typed and what was wrong.

use super::guard::Ctx;
use super::payment::page;
use super::payments::parse_tyiyn;
use super::{BackOffice, busy, not_found};
use crate::payments::{AskRefundError, NOTE_CHARS};
use app::backoffice::refund::RefundForm;
use app::feedback::contains_card_number;
use app::messages::Msg;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::{Money, PaymentId};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct RefundFields {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

pub async fn ask(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(fields): Form<RefundFields>,
) -> Response {
    let Ok(payment_id) = PaymentId::parse(&id) else {
        return not_found(&ctx);
    };
    let Ok(refundable) = bo.payments.refundable(&payment_id).await else {
        return busy();
    };
    let mut form = RefundForm {
        refundable,
        amount: fields.amount,
        note: fields.note,
        errors: Vec::new(),
    };
    // A card number typed by mistake is neither kept, shown back nor logged.
    for (name, value) in [("amount", &mut form.amount), ("note", &mut form.note)] {
        if contains_card_number(value) {
            value.clear();
            form.errors.push((name, Msg::BoCardNumberRemoved));
        }
    }
    let amount = parse_tyiyn(&form.amount)
        .filter(|tyiyn| *tyiyn > 0)
        .and_then(|tyiyn| Money::from_tyiyn(tyiyn).ok());
    if amount.is_none() && form.errors.iter().all(|(name, _)| *name != "amount") {
        form.errors.push(("amount", Msg::BoRefundBadAmount));
    }
    let note = form.note.trim().to_owned();
    if (note.is_empty() || note.chars().count() > NOTE_CHARS)
        && form.errors.iter().all(|(name, _)| *name != "note")
    {
        form.errors.push(("note", Msg::BoRefundNoteEmpty));
    }
    let Some(amount) = amount.filter(|_| form.errors.is_empty()) else {
        return page(&bo, &ctx, &id, Some(form)).await;
    };
    let audit = bo
        .desk
        .entry(&ctx.actor(), "refund_asked", Some(("payment", &id)));
    match bo
        .payments
        .ask_refund(&payment_id, amount, &note, audit)
        .await
    {
        // Post, redirect, get: a reload does not ask again.
        Ok(_) => Redirect::to(&format!("/admin/payments/{id}")).into_response(),
        Err(AskRefundError::NoSuchPayment) => not_found(&ctx),
        Err(AskRefundError::NotRefundable) => {
            form.errors.push(("", Msg::BoRefundNotRefundable));
            page(&bo, &ctx, &id, Some(form)).await
        }
        Err(AskRefundError::TooMuch { refundable }) => {
            form.refundable = refundable;
            form.errors.push(("amount", Msg::BoRefundTooMuch));
            page(&bo, &ctx, &id, Some(form)).await
        }
        Err(AskRefundError::Store(_)) => busy(),
    }
}
