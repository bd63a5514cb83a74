//! The overview page (`/admin/overview`, every staff role): the period
//! parsed (Bishkek days, the last 30 by default, at most a year), the
//! payments and refunds of it read grouped from the database
//! ([`crate::storage::OverviewStore`]), folded here into the figures per
//! day, reason, service and agency that `app::backoffice::overview` draws.

use super::guard::Ctx;
use super::payments::{bishkek_midnight, today};
use super::{BackOffice, busy};
use crate::storage::{OverviewRow, RefundDay};
use app::backoffice::overview::{DayFigures, Overview, Share, page};
use app::backoffice::payment::refund_state;
use app::backoffice::payments::service_name;
use app::i18n::Locale;
use app::messages::Msg;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Days, NaiveDate};
use domain::{RefundState, ServiceKind};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The days the overview opens on, and the longest period it shows.
const DEFAULT_DAYS: u64 = 30;
const LONGEST_DAYS: i64 = 366;
/// The days one read covers: a quarter, four reads for a year, each well
/// within the store's wait over a million payments a year.
const CHUNK_DAYS: u64 = 92;

#[derive(Deserialize, Default)]
pub struct Period {
    from: Option<String>,
    until: Option<String>,
}

fn date(text: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text?.trim(), "%Y-%m-%d").ok()
}

/// The period asked for, or the default one with the reason it was not.
fn period(query: &Period, today: NaiveDate) -> (NaiveDate, NaiveDate, Vec<(&'static str, Msg)>) {
    let default = (today - Days::new(DEFAULT_DAYS - 1), today);
    let given = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty());
    if !given(&query.from) && !given(&query.until) {
        return (default.0, default.1, Vec::new());
    }
    let from = date(query.from.as_deref());
    let until = date(query.until.as_deref());
    match (from, until) {
        (Some(from), Some(until)) if from <= until && (until - from).num_days() < LONGEST_DAYS => {
            (from, until, Vec::new())
        }
        _ => (
            default.0,
            default.1,
            vec![("from", Msg::BoOverviewBadPeriod)],
        ),
    }
}

/// `YYYY-MM-DD` → `DD.MM.YYYY`.
fn shown_day(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// Adds payments (or refunds) to a breakdown's line.
fn add(map: &mut HashMap<String, (i64, i64)>, key: String, count: i64, tyiyn: i64) {
    let line = map.entry(key).or_default();
    *line = (line.0 + count, line.1 + tyiyn);
}

fn shares(map: HashMap<String, (i64, i64)>) -> Vec<Share> {
    let mut shares: Vec<Share> = map.into_iter().map(|(k, (c, t))| (k, c, t)).collect();
    shares.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    shares
}

/// The figures of the period from its grouped rows.
pub fn fold(
    locale: Locale,
    (from, until): (NaiveDate, NaiveDate),
    rows: &[OverviewRow],
    refunds: &[RefundDay],
    agency_names: &HashMap<String, String>,
) -> Overview {
    let mut days: BTreeMap<String, DayFigures> = BTreeMap::new();
    let mut day = from;
    while day <= until {
        let figures = DayFigures {
            day: shown_day(day),
            ..DayFigures::default()
        };
        days.insert(day.format("%Y-%m-%d").to_string(), figures);
        day = day + Days::new(1);
    }
    let mut declines: HashMap<String, (i64, i64)> = HashMap::new();
    let mut services: HashMap<String, (i64, i64)> = HashMap::new();
    let mut agencies: HashMap<String, (i64, i64)> = HashMap::new();
    for row in rows {
        let Some(figures) = days.get_mut(&row.day) else {
            continue;
        };
        if row.status == "declined_reason" {
            let reason = row.decline_reason.clone().unwrap_or_else(|| "—".into());
            add(&mut declines, reason, row.count, row.tyiyn);
            continue;
        }
        figures.payments += row.count;
        if let Some(reason) = row
            .decline_reason
            .clone()
            .filter(|_| row.status == "declined")
        {
            add(&mut declines, reason, row.count, row.tyiyn);
        }
        let succeeded = row.status == "succeeded";
        if matches!(row.status.as_str(), "succeeded" | "declined" | "failed") {
            figures.decided += row.count;
        }
        if !succeeded {
            continue;
        }
        figures.succeeded += row.count;
        figures.tyiyn += row.tyiyn;
        let service = row
            .service
            .as_deref()
            .and_then(ServiceKind::from_str_opt)
            .map_or("—", |s| service_name(locale, s));
        add(&mut services, service.to_owned(), row.count, row.tyiyn);
        let agency = match &row.agency_id {
            Some(id) => agency_names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => Msg::BoOverviewNoAgency.text(locale).to_owned(),
        };
        add(&mut agencies, agency, row.count, row.tyiyn);
    }
    let mut by_state: HashMap<String, (i64, i64)> = HashMap::new();
    for refund in refunds {
        let Some(state) = RefundState::from_str_opt(&refund.status) else {
            continue;
        };
        if state == RefundState::Refunded
            && let Some(figures) = days.get_mut(&refund.day)
        {
            figures.refunded_tyiyn += refund.tyiyn;
        }
        let name = refund_state(locale, state).to_owned();
        add(&mut by_state, name, refund.count, refund.tyiyn);
    }
    let mut declines: Vec<Share> = declines.into_iter().map(|(k, (c, t))| (k, c, t)).collect();
    declines.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Overview {
        from: from.format("%Y-%m-%d").to_string(),
        until: until.format("%Y-%m-%d").to_string(),
        errors: Vec::new(),
        days: days.into_values().collect(),
        declines,
        services: shares(services),
        agencies: shares(agencies),
        refunds: shares(by_state),
    }
}

pub async fn overview(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Query(query): Query<Period>,
) -> Response {
    let Some(frame) = ctx.frame() else {
        return busy();
    };
    let (from, until, errors) = period(&query, today(&bo));
    // A quarter at a time: no one read holds the database for long, however
    // long the period.
    let (mut rows, mut refunds) = (Vec::new(), Vec::new());
    let mut first = from;
    while first <= until {
        let last = (first + Days::new(CHUNK_DAYS - 1)).min(until);
        let (Some(start), Some(end)) = (
            bishkek_midnight(first),
            bishkek_midnight(last + Days::new(1)),
        ) else {
            return busy();
        };
        let (chunk, refunded) = tokio::join!(
            bo.store.overview_rows(start, end),
            bo.store.refund_days(start, end)
        );
        let (Ok(chunk), Ok(refunded)) = (chunk, refunded) else {
            return busy();
        };
        rows.extend(chunk);
        refunds.extend(refunded);
        first = last + Days::new(1);
    }
    let Ok(agencies) = bo.store.agencies().await else {
        return busy();
    };
    let names = agencies.into_iter().map(|a| (a.id, a.name)).collect();
    let mut figures = fold(ctx.locale, (from, until), &rows, &refunds, &names);
    if !errors.is_empty() {
        // What was typed stays in the form beside the message.
        figures.from = query.from.unwrap_or_default();
        figures.until = query.until.unwrap_or_default();
        figures.errors = errors;
    }
    Html(page(ctx.locale, &frame, &figures)).into_response()
}
