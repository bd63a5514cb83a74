//! A payment's page: what was paid for and by whom, the amount, the card
//! as stored (brand, first six, last four), the acquirer's reference and
//! the 3-D Secure result, the documents the citizen accepted, every event,
//! the refunds and the webhook deliveries to the agency.

use super::payments::{Listed, masked_card, receipt_number, service_name, state_name};
use super::{Frame, document};
use crate::format;
use crate::i18n::*;
use chrono::{DateTime, Utc};
use domain::{Money, PaymentState, RefundCause, RefundState};
use leptos::prelude::*;

/// What 3-D Secure made of the payment, read from its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreeDs {
    NotAsked,
    /// The bank asked for a challenge and it was passed.
    Passed,
    /// Asked and not passed (declined, failed or abandoned after it).
    NotPassed,
    /// Asked, still waiting.
    Waiting,
}

#[derive(Clone, Debug)]
pub struct EventLine {
    pub at: DateTime<Utc>,
    pub from: Option<PaymentState>,
    pub to: PaymentState,
    pub reason: String,
}

#[derive(Clone, Debug)]
pub struct RefundLine {
    pub id: String,
    pub amount: Money,
    pub state: RefundState,
    pub cause: RefundCause,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    /// For a refund a person asked for: who (their email) and why.
    pub asked_by: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct DeliveryLine {
    pub event_id: String,
    /// `payment_request.paid`, ...
    pub kind: String,
    pub at: DateTime<Utc>,
    /// none, pending, delivered, dead.
    pub state: String,
    /// (attempt, HTTP status or the error, milliseconds)
    pub attempts: Vec<(u32, String, i64)>,
}

pub struct PaymentDetail {
    pub listed: Listed,
    /// The full name, or the masked one for roles without the right.
    pub applicant: String,
    pub agency_reference: Option<String>,
    pub acquirer_reference: Option<String>,
    pub decline_reason: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub three_ds: ThreeDs,
    pub privacy_policy_edition: Option<u32>,
    pub user_agreement_edition: Option<u32>,
    pub events: Vec<EventLine>,
    pub refunds: Vec<RefundLine>,
    pub deliveries: Vec<DeliveryLine>,
    /// Only for roles that may refund, and while money is left to return.
    pub refund_form: Option<super::refund::RefundForm>,
}

fn three_ds_text(locale: Locale, three_ds: ThreeDs) -> &'static str {
    match three_ds {
        ThreeDs::NotAsked => td_string!(locale, bo_three_ds_not_asked),
        ThreeDs::Passed => td_string!(locale, bo_three_ds_passed),
        ThreeDs::NotPassed => td_string!(locale, bo_three_ds_not_passed),
        ThreeDs::Waiting => td_string!(locale, bo_three_ds_waiting),
    }
}

pub fn refund_state(locale: Locale, state: RefundState) -> &'static str {
    match state {
        RefundState::Required => td_string!(locale, bo_refund_required),
        RefundState::Submitted => td_string!(locale, bo_refund_submitted),
        RefundState::Unknown => td_string!(locale, bo_refund_unknown),
        RefundState::Refunded => td_string!(locale, bo_refund_refunded),
        RefundState::Failed => td_string!(locale, bo_refund_failed),
    }
}

fn refund_cause(locale: Locale, cause: RefundCause) -> &'static str {
    match cause {
        RefundCause::ChargeOnClosedPayment => td_string!(locale, bo_refund_cause_closed),
        RefundCause::Requested => td_string!(locale, bo_refund_cause_requested),
    }
}

fn delivery_state(locale: Locale, state: &str) -> &'static str {
    match state {
        "pending" => td_string!(locale, bo_delivery_pending),
        "delivered" => td_string!(locale, bo_delivery_delivered),
        "dead" => td_string!(locale, bo_delivery_dead),
        _ => td_string!(locale, bo_delivery_none),
    }
}

fn line(label: &'static str, value: String) -> impl IntoView {
    view! { <div><dt>{label}</dt><dd>{value}</dd></div> }
}

fn edition(locale: Locale, n: Option<u32>) -> String {
    n.map(|n| n.to_string())
        .unwrap_or_else(|| td_string!(locale, bo_none).to_owned())
}

pub fn render(locale: Locale, frame: &Frame, p: &PaymentDetail) -> String {
    let l = &p.listed;
    let title = format!(
        "{} {}",
        td_string!(locale, bo_payment_title),
        receipt_number(l.receipt)
    );
    let none = || td_string!(locale, bo_none).to_owned();
    let events = p
        .events
        .iter()
        .map(|e| {
            let from = e.from.map(|s| state_name(locale, s)).unwrap_or("—");
            view! {
                <tr>
                    <td>{format::date_time(locale, e.at)}</td>
                    <td>{from} " → " {state_name(locale, e.to)}</td>
                    <td><code>{e.reason.clone()}</code></td>
                </tr>
            }
        })
        .collect_view();
    let refunds = p
        .refunds
        .iter()
        .map(|r| {
            let why = match (&r.asked_by, &r.note) {
                (Some(by), Some(note)) => format!("{by}: {note}"),
                _ => String::new(),
            };
            view! {
                <tr>
                    <td>{format::date_time(locale, r.created_at)}</td>
                    <td class="num">{format::money(locale, r.amount)}</td>
                    <td>{refund_state(locale, r.state)}</td>
                    <td>{refund_cause(locale, r.cause)}<br/><span class="bo-note">{why}</span></td>
                    <td><code>{r.reference.clone().unwrap_or_default()}</code></td>
                </tr>
            }
        })
        .collect_view();
    let deliveries = p
        .deliveries
        .iter()
        .map(|d| {
            let attempts = d
                .attempts
                .iter()
                .map(|(n, outcome, ms)| format!("#{n}: {outcome} ({ms} ms)"))
                .collect::<Vec<_>>()
                .join("; ");
            view! {
                <tr>
                    <td>{format::date_time(locale, d.at)}</td>
                    <td><code>{d.kind.clone()}</code></td>
                    <td>{delivery_state(locale, &d.state)}</td>
                    <td>{attempts}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <p><a href="/admin/payments">{td_string!(locale, bo_back_to_payments)}</a></p>
        <h1>{title.clone()}</h1>
        <dl class="bo-facts">
            {line(td_string!(locale, status_label), state_name(locale, l.state).to_owned())}
            {line(td_string!(locale, amount_label), format::money(locale, l.amount))}
            {line(td_string!(locale, code_label), l.code.clone())}
            {line(td_string!(locale, service_label), service_name(locale, l.service).to_owned())}
            {line(td_string!(locale, bo_agency_label), l.agency.clone().unwrap_or_else(none))}
            {line(td_string!(locale, bo_agency_reference_label), p.agency_reference.clone().unwrap_or_else(none))}
            {line(td_string!(locale, applicant_label), p.applicant.clone())}
            {line(td_string!(locale, card_label), masked_card(l.brand, &l.first_six, &l.last_four))}
            {line(td_string!(locale, reference_label), p.acquirer_reference.clone().unwrap_or_else(none))}
            {line(td_string!(locale, bo_three_ds_label), three_ds_text(locale, p.three_ds).to_owned())}
            {line(td_string!(locale, bo_decline_label), p.decline_reason.clone().unwrap_or_else(none))}
            {line(td_string!(locale, bo_created_label), format::date_time(locale, l.created_at))}
            {line(td_string!(locale, bo_completed_label), p.completed_at.map(|t| format::date_time(locale, t)).unwrap_or_else(none))}
            {line(td_string!(locale, bo_privacy_edition_label), edition(locale, p.privacy_policy_edition))}
            {line(td_string!(locale, bo_agreement_edition_label), edition(locale, p.user_agreement_edition))}
            {line(td_string!(locale, bo_payment_id_label), l.id.clone())}
        </dl>
        <h2>{td_string!(locale, bo_events_title)}</h2>
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_when)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
                <th scope="col">{td_string!(locale, bo_reason)}</th>
            </tr></thead>
            <tbody>{events}</tbody>
        </table>
        <h2>{td_string!(locale, bo_refunds_title)}</h2>
        {p.refunds.is_empty().then(|| view! { <p>{td_string!(locale, bo_no_refunds)}</p> })}
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_when)}</th>
                <th scope="col">{td_string!(locale, amount_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
                <th scope="col">{td_string!(locale, bo_reason)}</th>
                <th scope="col">{td_string!(locale, reference_label)}</th>
            </tr></thead>
            <tbody>{refunds}</tbody>
        </table>
        {p.refund_form.as_ref().map(|f| super::refund::form(locale, &frame.csrf, &l.id, f))}
        <h2>{td_string!(locale, bo_deliveries_title)}</h2>
        {p.deliveries.is_empty().then(|| view! { <p>{td_string!(locale, bo_no_deliveries)}</p> })}
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_when)}</th>
                <th scope="col">{td_string!(locale, bo_event_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
                <th scope="col">{td_string!(locale, bo_attempts_label)}</th>
            </tr></thead>
            <tbody>{deliveries}</tbody>
        </table>
    };
    document(locale, &title, Some(frame), &frame.here, body)
}
