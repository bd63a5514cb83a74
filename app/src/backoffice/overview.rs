//! The overview (every staff role): how the service did in a chosen period
//! (Bishkek days) — payments and amounts per day, the success rate, declines
//! by reason, refunds, and the figures per service and per agency — as SVG
//! charts drawn on the server, each with its figures in a table.

use super::charts::{Bar, columns, rows};
use super::payments::text_field;
use super::{Frame, document};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use domain::Money;
use leptos::prelude::*;

/// One day's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayFigures {
    /// `DD.MM.YYYY`.
    pub day: String,
    pub payments: i64,
    pub succeeded: i64,
    /// Payments with an outcome (succeeded, declined or failed).
    pub decided: i64,
    pub tyiyn: i64,
    pub refunded_tyiyn: i64,
}

/// A breakdown line: name, payments that succeeded, their amount.
pub type Share = (String, i64, i64);

#[derive(Clone, Debug, Default)]
pub struct Overview {
    pub from: String,
    pub until: String,
    pub errors: Vec<(&'static str, Msg)>,
    pub days: Vec<DayFigures>,
    /// (reason, count, amount declined), most first.
    pub declines: Vec<Share>,
    pub services: Vec<Share>,
    pub agencies: Vec<Share>,
    /// (state, count, amount) of the refunds asked for in the period.
    pub refunds: Vec<Share>,
}

fn money(locale: Locale, tyiyn: i64) -> String {
    format::money(
        locale,
        Money::from_tyiyn(tyiyn.max(0)).unwrap_or(Money::ZERO),
    )
}

/// Succeeded of decided, in per cent with one decimal.
fn rate(succeeded: i64, decided: i64) -> Option<String> {
    (decided > 0).then(|| {
        let tenths = succeeded * 1000 / decided;
        format!("{},{} %", tenths / 10, tenths % 10)
    })
}

fn chart(title: &'static str, svg: String) -> impl IntoView {
    view! {
        <section class="bo-section">
            <h2>{title}</h2>
            <div class="bo-chart-box" inner_html=svg></div>
        </section>
    }
}

fn share_table(locale: Locale, head: &'static str, shares: &[Share]) -> impl IntoView + use<> {
    let lines = shares
        .iter()
        .map(|(name, count, tyiyn)| {
            view! { <tr><td>{name.clone()}</td><td class="num">{*count}</td><td class="num">{money(locale, *tyiyn)}</td></tr> }
        })
        .collect_view();
    view! {
        <div class="bo-table-wrap"><table class="bo-table">
            <thead><tr>
                <th scope="col">{head}</th>
                <th scope="col">{td_string!(locale, bo_overview_count)}</th>
                <th scope="col">{td_string!(locale, amount_label)}</th>
            </tr></thead>
            <tbody>{lines}</tbody>
        </table></div>
    }
}

fn bars(shares: &[Share], locale: Locale) -> Vec<Bar> {
    shares
        .iter()
        .map(|(name, _, tyiyn)| Bar {
            label: name.clone(),
            value: *tyiyn,
            shown: money(locale, *tyiyn),
        })
        .collect()
}

pub fn page(locale: Locale, frame: &Frame, o: &Overview) -> String {
    let title = td_string!(locale, bo_overview_title);
    let total = |f: fn(&DayFigures) -> i64| o.days.iter().map(f).sum::<i64>();
    let (payments, succeeded, decided) = (
        total(|d| d.payments),
        total(|d| d.succeeded),
        total(|d| d.decided),
    );
    let (amount, refunded) = (total(|d| d.tyiyn), total(|d| d.refunded_tyiyn));
    let short = |day: &str| day.get(..5).unwrap_or(day).to_owned();
    let day_bars = |value: fn(&DayFigures) -> i64, shown: &dyn Fn(&DayFigures) -> String| {
        o.days
            .iter()
            .map(|d| Bar {
                label: short(&d.day),
                value: value(d),
                shown: shown(d),
            })
            .collect::<Vec<_>>()
    };
    let counts = columns(
        td_string!(locale, bo_overview_per_day),
        &day_bars(|d| d.succeeded, &|d| d.succeeded.to_string()),
    );
    let amounts = columns(
        td_string!(locale, bo_overview_amounts),
        &day_bars(|d| d.tyiyn, &|d| money(locale, d.tyiyn)),
    );
    let rates = columns(
        td_string!(locale, bo_overview_rate),
        &day_bars(
            |d| {
                if d.decided > 0 {
                    d.succeeded * 1000 / d.decided
                } else {
                    0
                }
            },
            &|d| rate(d.succeeded, d.decided).unwrap_or_else(|| "—".into()),
        ),
    );
    let refunds_chart = columns(
        td_string!(locale, bo_overview_refunds),
        &day_bars(|d| d.refunded_tyiyn, &|d| money(locale, d.refunded_tyiyn)),
    );
    let decline_bars: Vec<Bar> = o
        .declines
        .iter()
        .map(|(reason, count, _)| Bar {
            label: reason.clone(),
            value: *count,
            shown: count.to_string(),
        })
        .collect();
    let day_rows = o
        .days
        .iter()
        .map(|d| view! {
            <tr>
                <td>{d.day.clone()}</td>
                <td class="num">{d.payments}</td>
                <td class="num">{d.succeeded}</td>
                <td class="num">{money(locale, d.tyiyn)}</td>
                <td class="num">{rate(d.succeeded, d.decided).unwrap_or_else(|| "—".into())}</td>
                <td class="num">{money(locale, d.refunded_tyiyn)}</td>
            </tr>
        })
        .collect_view();
    let body = view! {
        <h1>{title}</h1>
        <form method="get" action="/admin/overview" class="bo-filters">
            <fieldset>
                <legend class="visually-hidden">{td_string!(locale, bo_overview_period)}</legend>
                {text_field(locale, &o.errors, "from", td_string!(locale, bo_filter_from), "date", &o.from)}
                {text_field(locale, &o.errors, "until", td_string!(locale, bo_filter_until), "date", &o.until)}
            </fieldset>
            <button type="submit" class="button">{td_string!(locale, bo_filter_button)}</button>
        </form>
        <dl class="bo-facts">
            <div><dt>{td_string!(locale, bo_overview_payments)}</dt><dd>{payments}</dd></div>
            <div><dt>{td_string!(locale, bo_overview_succeeded)}</dt><dd>{succeeded}</dd></div>
            <div><dt>{td_string!(locale, amount_label)}</dt><dd>{money(locale, amount)}</dd></div>
            <div><dt>{td_string!(locale, bo_overview_rate)}</dt><dd>{rate(succeeded, decided).unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>{td_string!(locale, bo_overview_refunds)}</dt><dd>{money(locale, refunded)}</dd></div>
        </dl>
        {chart(td_string!(locale, bo_overview_per_day), counts)}
        {chart(td_string!(locale, bo_overview_amounts), amounts)}
        {chart(td_string!(locale, bo_overview_rate), rates)}
        <div class="bo-table-wrap"><table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_overview_day)}</th>
                <th scope="col">{td_string!(locale, bo_overview_payments)}</th>
                <th scope="col">{td_string!(locale, bo_overview_succeeded)}</th>
                <th scope="col">{td_string!(locale, amount_label)}</th>
                <th scope="col">{td_string!(locale, bo_overview_rate)}</th>
                <th scope="col">{td_string!(locale, bo_overview_refunds)}</th>
            </tr></thead>
            <tbody>{day_rows}</tbody>
        </table></div>
        {chart(td_string!(locale, bo_overview_declines), rows(td_string!(locale, bo_overview_declines), &decline_bars))}
        {share_table(locale, td_string!(locale, bo_reason), &o.declines)}
        {chart(td_string!(locale, bo_overview_refunds), refunds_chart)}
        {share_table(locale, td_string!(locale, status_label), &o.refunds)}
        {chart(td_string!(locale, bo_overview_services), rows(td_string!(locale, bo_overview_services), &bars(&o.services, locale)))}
        {share_table(locale, td_string!(locale, service_label), &o.services)}
        {chart(td_string!(locale, bo_overview_agencies), rows(td_string!(locale, bo_overview_agencies), &bars(&o.agencies, locale)))}
        {share_table(locale, td_string!(locale, bo_agency_label), &o.agencies)}
    };
    document(locale, title, Some(frame), &frame.here, body)
}
