//! The payment list: a filter form whose conditions combine (it is a GET,
//! so a filtered list is a link to share), the count and sums of what the
//! filter matches, one page of payments newest first, the link to the next
//! page and, for those who may, the CSV export of the whole filtered list.

use super::{Frame, document};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use chrono::{DateTime, Utc};
use domain::{CardBrand, Money, PaymentState, ServiceKind};
use leptos::prelude::*;

/// The filter as typed, kept whole when a field does not parse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterValues {
    pub from: String,
    pub until: String,
    pub status: String,
    pub service: String,
    pub agency: String,
    pub code: String,
    pub receipt: String,
    pub last4: String,
    pub brand: String,
    pub min: String,
    pub max: String,
}

/// A payment in the list.
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: String,
    pub receipt: i64,
    pub created_at: DateTime<Utc>,
    pub code: String,
    pub service: ServiceKind,
    pub agency: Option<String>,
    pub amount: Money,
    pub state: PaymentState,
    pub brand: CardBrand,
    pub first_six: String,
    pub last_four: String,
}

/// The count and sums of the filtered list, in tyiyn.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sums {
    pub count: i64,
    pub amount: i64,
    pub succeeded_count: i64,
    pub succeeded_amount: i64,
}

pub struct PaymentsPage {
    pub filter: FilterValues,
    /// Fields that did not parse (by input name), with their message.
    pub errors: Vec<(&'static str, Msg)>,
    /// (id, name) of every agency, for the filter.
    pub agencies: Vec<(String, String)>,
    pub rows: Vec<Listed>,
    pub sums: Sums,
    pub next: Option<String>,
    pub export: Option<String>,
}

pub const BRANDS: [CardBrand; 5] = [
    CardBrand::Visa,
    CardBrand::Mastercard,
    CardBrand::UnionPay,
    CardBrand::Mir,
    CardBrand::Elcart,
];

pub fn state_name(locale: Locale, state: PaymentState) -> &'static str {
    match state {
        PaymentState::Created => td_string!(locale, bo_state_created),
        PaymentState::Authorising => td_string!(locale, bo_state_authorising),
        PaymentState::ThreeDsRequired => td_string!(locale, bo_state_three_ds_required),
        PaymentState::Succeeded => td_string!(locale, bo_state_succeeded),
        PaymentState::Declined => td_string!(locale, bo_state_declined),
        PaymentState::Failed => td_string!(locale, bo_state_failed),
        PaymentState::Unknown => td_string!(locale, bo_state_unknown),
        PaymentState::Expired => td_string!(locale, bo_state_expired),
    }
}

pub fn service_name(locale: Locale, service: ServiceKind) -> &'static str {
    match service {
        ServiceKind::Passport => td_string!(locale, service_passport),
        ServiceKind::DrivingLicence => td_string!(locale, service_driving_licence),
        ServiceKind::MekenCard => td_string!(locale, service_meken_card),
    }
}

/// The export's column names, in the CSV's column order.
pub fn csv_header(locale: Locale) -> Vec<&'static str> {
    vec![
        td_string!(locale, bo_created_label),
        td_string!(locale, receipt_number_label),
        td_string!(locale, bo_payment_id_label),
        td_string!(locale, code_label),
        td_string!(locale, service_label),
        td_string!(locale, bo_agency_label),
        td_string!(locale, bo_agency_reference_label),
        td_string!(locale, applicant_label),
        td_string!(locale, amount_label),
        "currency",
        td_string!(locale, status_label),
        td_string!(locale, brand_label),
        "first6",
        "last4",
        td_string!(locale, reference_label),
        td_string!(locale, bo_completed_label),
    ]
}

/// Receipt numbers as the citizen's receipt writes them.
pub fn receipt_number(n: i64) -> String {
    format!("TLM-{n:08}")
}

/// Brand, first six and last four, the rest hidden.
pub fn masked_card(brand: CardBrand, first_six: &str, last_four: &str) -> String {
    format!("{} {first_six}******{last_four}", brand.display_name())
}

fn money(locale: Locale, tyiyn: i64) -> String {
    Money::from_tyiyn(tyiyn)
        .map(|m| format::money(locale, m))
        .unwrap_or_else(|_| tyiyn.to_string())
}

pub(super) fn text_field(
    locale: Locale,
    errors: &[(&'static str, Msg)],
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: &str,
) -> impl IntoView + use<> {
    let error = errors
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, msg)| msg.text(locale));
    let invalid = error.map(|_| "true");
    let described = error.map(|_| format!("{name}-error"));
    view! {
        <div class="field">
            <label for=name>{label}</label>
            {error.map(|text| view! { <p class="field-error" id=format!("{name}-error")>{text}</p> })}
            <input id=name name=name type=kind value=value.to_owned()
                aria-invalid=invalid aria-describedby=described/>
        </div>
    }
}

fn select(
    name: &'static str,
    label: &'static str,
    any: &'static str,
    chosen: &str,
    options: Vec<(String, String)>,
) -> impl IntoView + use<> {
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let selected = value == chosen;
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=name>{label}</label>
            <select id=name name=name>
                <option value="">{any}</option>
                {options}
            </select>
        </div>
    }
}

fn filter_form(locale: Locale, page: &PaymentsPage) -> impl IntoView + use<> {
    let f = &page.filter;
    let e = &page.errors;
    let any = td_string!(locale, bo_any);
    let states = PaymentState::ALL
        .into_iter()
        .map(|s| (s.as_str().to_owned(), state_name(locale, s).to_owned()))
        .collect();
    let services = ServiceKind::ALL
        .into_iter()
        .map(|s| (s.as_str().to_owned(), service_name(locale, s).to_owned()))
        .collect();
    let brands = BRANDS
        .into_iter()
        .map(|b| (b.as_str().to_owned(), b.display_name().to_owned()))
        .collect();
    view! {
        <form method="get" action="/admin/payments" class="bo-filters">
            <fieldset>
                <legend>{td_string!(locale, bo_filter_legend)}</legend>
                {text_field(locale, e, "from", td_string!(locale, bo_filter_from), "date", &f.from)}
                {text_field(locale, e, "until", td_string!(locale, bo_filter_until), "date", &f.until)}
                {select("status", td_string!(locale, status_label), any, &f.status, states)}
                {select("service", td_string!(locale, service_label), any, &f.service, services)}
                {select("agency", td_string!(locale, bo_agency_label), any, &f.agency, page.agencies.clone())}
                {text_field(locale, e, "code", td_string!(locale, code_label), "text", &f.code)}
                {text_field(locale, e, "receipt", td_string!(locale, receipt_number_label), "text", &f.receipt)}
                {text_field(locale, e, "last4", td_string!(locale, bo_last4_label), "text", &f.last4)}
                {select("brand", td_string!(locale, brand_label), any, &f.brand, brands)}
                {text_field(locale, e, "min", td_string!(locale, bo_min_amount_label), "text", &f.min)}
                {text_field(locale, e, "max", td_string!(locale, bo_max_amount_label), "text", &f.max)}
            </fieldset>
            <button type="submit" class="button">{td_string!(locale, bo_filter_button)}</button>
            " "
            <a href="/admin/payments?from=&until=">{td_string!(locale, bo_filter_all_time)}</a>
        </form>
    }
}

fn row(locale: Locale, p: &Listed) -> impl IntoView + use<> {
    let href = format!("/admin/payments/{}", p.id);
    view! {
        <tr>
            <td>{format::date_time(locale, p.created_at)}</td>
            <td><a href=href>{receipt_number(p.receipt)}</a></td>
            <td>{p.code.clone()}</td>
            <td>{service_name(locale, p.service)}</td>
            <td>{p.agency.clone().unwrap_or_default()}</td>
            <td class="num">{format::money(locale, p.amount)}</td>
            <td>{state_name(locale, p.state)}</td>
            <td>{masked_card(p.brand, &p.first_six, &p.last_four)}</td>
        </tr>
    }
}

pub fn render(locale: Locale, frame: &Frame, page: &PaymentsPage) -> String {
    let title = td_string!(locale, bo_payments_title);
    let sums = page.sums;
    let rows = page.rows.iter().map(|p| row(locale, p)).collect_view();
    let empty = page
        .rows
        .is_empty()
        .then(|| view! { <p>{td_string!(locale, bo_no_payments)}</p> });
    let export = page.export.clone().map(|href| {
        view! { <a class="button secondary" href=href download="">{td_string!(locale, bo_export_csv)}</a> }
    });
    let next = page.next.clone().map(|href| {
        view! { <a rel="next" href=href>{td_string!(locale, bo_next_page)}</a> }
    });
    let body = view! {
        <h1>{title}</h1>
        {filter_form(locale, page)}
        <dl class="bo-sums" aria-live="polite">
            <div><dt>{td_string!(locale, bo_sum_count)}</dt><dd id="sum-count">{sums.count}</dd></div>
            <div><dt>{td_string!(locale, bo_sum_amount)}</dt><dd>{money(locale, sums.amount)}</dd></div>
            <div><dt>{td_string!(locale, bo_sum_succeeded)}</dt>
                <dd>{sums.succeeded_count} " · " {money(locale, sums.succeeded_amount)}</dd></div>
        </dl>
        <p>{export}</p>
        {empty}
        <div class="bo-table-wrap">
            <table class="bo-table">
                <caption class="visually-hidden">{title}</caption>
                <thead>
                    <tr>
                        <th scope="col">{td_string!(locale, paid_at_label)}</th>
                        <th scope="col">{td_string!(locale, receipt_number_label)}</th>
                        <th scope="col">{td_string!(locale, code_label)}</th>
                        <th scope="col">{td_string!(locale, service_label)}</th>
                        <th scope="col">{td_string!(locale, bo_agency_label)}</th>
                        <th scope="col">{td_string!(locale, amount_label)}</th>
                        <th scope="col">{td_string!(locale, status_label)}</th>
                        <th scope="col">{td_string!(locale, card_label)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p>{next}</p>
    };
    document(locale, title, Some(frame), &frame.here, body)
}
