//! The payment list and a payment's page. The filter is read from the
//! query string as typed ([`FilterQuery`]) and parsed into the store's
//! [`PaymentFilter`]; a field that does not parse is shown with its message
//! and the rest of the filter still applies. With no dates in the address
//! at all the list shows the last 30 days (Bishkek); empty dates mean all
//! time.

use super::guard::Ctx;
use super::{BackOffice, busy};
use crate::storage::{PageAfter, PaymentFilter, PaymentRow};
use app::backoffice::payments::{FilterValues, Listed, PaymentsPage, Sums};
use app::messages::Msg;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Bishkek;
use domain::staff::Permission;
use domain::{CardBrand, Money, PaymentCode, PaymentState, ServiceKind};

const PAGE: i64 = 50;
/// The range the list opens with.
const DEFAULT_DAYS: u64 = 30;

/// The filter's fields as the query string has them; `None`: not in the
/// address at all.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub struct FilterQuery {
    pub from: Option<String>,
    pub until: Option<String>,
    pub status: Option<String>,
    pub service: Option<String>,
    pub agency: Option<String>,
    pub code: Option<String>,
    pub receipt: Option<String>,
    pub last4: Option<String>,
    pub brand: Option<String>,
    pub min: Option<String>,
    pub max: Option<String>,
    /// Where the page starts: `<created_at>_<receipt>` of the last one shown.
    pub after: Option<String>,
}

/// The start of a day in Bishkek.
pub fn bishkek_midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    Bishkek
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub fn parse_tyiyn(text: &str) -> Option<i64> {
    let text = text.trim().replace(['\u{a0}', ' '], "");
    let money: Money = text
        .parse()
        .or_else(|_| text.replace('.', ",").parse())
        .ok()?;
    Some(money.tyiyn())
}

fn parse_receipt(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text
        .strip_prefix("TLM-")
        .or_else(|| text.strip_prefix("tlm-"))
        .unwrap_or(text);
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// A field that is in the query and not blank.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The filter from the query, the values to show back, and what did not parse.
/// The query with any field that holds a card number emptied, and an error
/// for each: a number pasted by mistake is neither searched for, shown
/// back, put into a link nor written to the audit log.
pub fn without_card_numbers(query: &FilterQuery) -> (FilterQuery, Vec<(&'static str, Msg)>) {
    let mut query = query.clone();
    let mut errors = Vec::new();
    for (name, field) in [
        ("code", &mut query.code),
        ("receipt", &mut query.receipt),
        ("last4", &mut query.last4),
        ("min", &mut query.min),
        ("max", &mut query.max),
    ] {
        if field
            .as_deref()
            .is_some_and(app::feedback::contains_card_number)
        {
            *field = None;
            errors.push((name, Msg::BoFilterCardNumber));
        }
    }
    (query, errors)
}

pub fn parse_filter(
    query: &FilterQuery,
    today: NaiveDate,
) -> (PaymentFilter, FilterValues, Vec<(&'static str, Msg)>) {
    let (query, mut errors) = without_card_numbers(query);
    let query = &query;
    let mut values = FilterValues::default();
    let mut filter = PaymentFilter::default();
    let opening = query.from.is_none() && query.until.is_none();
    if opening {
        let from = today
            .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
            .unwrap_or(today);
        values.from = from.to_string();
        values.until = today.to_string();
    } else {
        values.from = query.from.clone().unwrap_or_default();
        values.until = query.until.clone().unwrap_or_default();
    }
    for (name, text, until) in [
        ("from", values.from.clone(), false),
        ("until", values.until.clone(), true),
    ] {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        let day = if until {
            day.and_then(|d| d.succ_opt())
        } else {
            day
        };
        match day.and_then(bishkek_midnight) {
            Some(at) if until => filter.until = Some(at),
            Some(at) => filter.from = Some(at),
            None => errors.push((name, Msg::BoFilterBadDate)),
        }
    }
    values.status = query.status.clone().unwrap_or_default();
    filter.status = given(&query.status).and_then(PaymentState::from_str_opt);
    values.service = query.service.clone().unwrap_or_default();
    filter.service = given(&query.service).and_then(ServiceKind::from_str_opt);
    values.agency = query.agency.clone().unwrap_or_default();
    filter.agency = given(&query.agency).map(str::to_owned);
    values.brand = query.brand.clone().unwrap_or_default();
    filter.brand = given(&query.brand).and_then(CardBrand::from_str_opt);
    values.code = query.code.clone().unwrap_or_default();
    if let Some(code) = given(&query.code) {
        match PaymentCode::parse(code) {
            Ok(code) => filter.code = Some(code),
            Err(_) => errors.push(("code", Msg::BoFilterBadCode)),
        }
    }
    values.receipt = query.receipt.clone().unwrap_or_default();
    if let Some(receipt) = given(&query.receipt) {
        match parse_receipt(receipt) {
            Some(n) => filter.receipt = Some(n),
            None => errors.push(("receipt", Msg::BoFilterBadReceipt)),
        }
    }
    values.last4 = query.last4.clone().unwrap_or_default();
    if let Some(last4) = given(&query.last4) {
        if last4.len() == 4 && last4.bytes().all(|b| b.is_ascii_digit()) {
            filter.last_four = Some(last4.to_owned());
        } else {
            errors.push(("last4", Msg::BoFilterBadLast4));
        }
    }
    values.min = query.min.clone().unwrap_or_default();
    values.max = query.max.clone().unwrap_or_default();
    for (name, text) in [("min", values.min.clone()), ("max", values.max.clone())] {
        if text.trim().is_empty() {
            continue;
        }
        match parse_tyiyn(&text) {
            Some(t) if name == "min" => filter.min_amount = Some(t),
            Some(t) => filter.max_amount = Some(t),
            None => errors.push((name, Msg::BoFilterBadAmount)),
        }
    }
    (filter, values, errors)
}

pub fn parse_after(text: Option<&str>) -> Option<PageAfter> {
    let (at, receipt) = text?.rsplit_once('_')?;
    Some(PageAfter {
        created_at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        receipt: receipt.parse().ok()?,
    })
}

pub fn after_text(row: &PaymentRow) -> String {
    format!(
        "{}_{}",
        row.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        row.receipt
    )
}

/// The query string of `values` (what the form would send), plus `extra`.
pub fn query_of(values: &FilterValues, extra: Option<(&str, &str)>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("from", &values.from),
        ("until", &values.until),
        ("status", &values.status),
        ("service", &values.service),
        ("agency", &values.agency),
        ("code", &values.code),
        ("receipt", &values.receipt),
        ("last4", &values.last4),
        ("brand", &values.brand),
        ("min", &values.min),
        ("max", &values.max),
    ] {
        query.append_pair(name, value);
    }
    if let Some((name, value)) = extra {
        query.append_pair(name, value);
    }
    query.finish()
}

pub fn listed(row: &PaymentRow) -> Listed {
    Listed {
        id: row.id.clone(),
        receipt: row.receipt,
        created_at: row.created_at,
        code: row.code.as_str().to_owned(),
        service: row.service,
        agency: row.agency_name.clone(),
        amount: row.amount,
        state: row.state,
        brand: row.brand,
        first_six: row.first_six.clone(),
        last_four: row.last_four.clone(),
    }
}

pub fn today(bo: &BackOffice) -> NaiveDate {
    bo.desk.now().with_timezone(&Bishkek).date_naive()
}

fn read_query(raw: Option<String>) -> FilterQuery {
    // A malformed query string reads as no filter rather than an error page.
    serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default()
}

pub async fn list(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = read_query(raw);
    let (filter, values, errors) = parse_filter(&query, today(&bo));
    let after = parse_after(query.after.as_deref());
    let (rows, totals, agencies) = tokio::join!(
        bo.store.search_payments(&filter, after, PAGE + 1),
        bo.store.payment_totals(&filter),
        bo.store.agencies(),
    );
    let (Ok(mut rows), Ok(totals), Ok(agencies)) = (rows, totals, agencies) else {
        return busy();
    };
    let next = (rows.len() as i64 > PAGE).then(|| {
        rows.truncate(PAGE as usize);
        let last = rows.last().map(after_text).unwrap_or_default();
        format!(
            "/admin/payments?{}",
            query_of(&values, Some(("after", &last)))
        )
    });
    let Some(mut frame) = ctx.frame() else {
        return busy();
    };
    // The language switch comes back to the filter as parsed, never to a
    // card number pasted into the address.
    frame.here = format!("/admin/payments?{}", query_of(&values, None));
    let export = frame
        .role
        .may(Permission::ExportPayments)
        .then(|| format!("/admin/payments/export?{}", query_of(&values, None)));
    let page = PaymentsPage {
        filter: values,
        errors,
        agencies: agencies.into_iter().map(|a| (a.id, a.name)).collect(),
        rows: rows.iter().map(listed).collect(),
        sums: Sums {
            count: totals.count,
            amount: totals.amount,
            succeeded_count: totals.succeeded_count,
            succeeded_amount: totals.succeeded_amount,
        },
        next,
        export,
    };
    Html(app::backoffice::payments::render(ctx.locale, &frame, &page)).into_response()
}
