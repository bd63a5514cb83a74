//! The CSV export of a filtered payment list: the same filter as the list,
//! every matching payment, streamed in keyset pages of [`CHUNK`] rows so a
//! million rows take no more memory than one page. The file is named after
//! its filter; a cell a spreadsheet would run as a formula is quoted as
//! text (OWASP's CSV injection advice).

use super::guard::Ctx;
use super::payments::{FilterQuery, parse_filter, today, without_card_numbers};
use super::{BackOffice, busy};
use crate::storage::{PageAfter, PaymentFilter, PaymentRow};
use app::backoffice::payments::{csv_header, receipt_number, state_name};
use app::i18n::Locale;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use domain::staff::Permission;
use futures_util::StreamExt;

/// Rows read and written at a time.
pub const CHUNK: i64 = 1_000;

/// A cell a spreadsheet would take for a formula, made plain text.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Bishkek)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn record(locale: Locale, row: &PaymentRow, names: bool) -> Vec<String> {
    let applicant = if names {
        row.applicant_name.clone()
    } else {
        domain::mask_person_name(&row.applicant_name)
    };
    let amount = row.amount.tyiyn();
    vec![
        time(row.created_at),
        receipt_number(row.receipt),
        row.id.clone(),
        row.code.as_str().to_owned(),
        row.service.as_str().to_owned(),
        cell(row.agency_name.as_deref().unwrap_or_default()),
        cell(row.agency_reference.as_deref().unwrap_or_default()),
        cell(&applicant),
        format!("{}.{:02}", amount / 100, amount % 100),
        "KGS".to_owned(),
        state_name(locale, row.state).to_owned(),
        row.brand.display_name().to_owned(),
        row.first_six.clone(),
        row.last_four.clone(),
        cell(row.acquirer_reference.as_deref().unwrap_or_default()),
        row.completed_at.map(time).unwrap_or_default(),
    ]
}

fn encode<I, T>(records: I) -> Bytes
where
    I: IntoIterator<Item = Vec<T>>,
    T: AsRef<[u8]>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        // Writing to memory cannot fail.
        let _ = writer.write_record(record);
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// The file name: the filter's set fields, in a name any system accepts.
pub fn file_name(query: &str) -> String {
    let mut name = String::from("payments");
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let value: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(40)
            .collect();
        if !value.is_empty() && key != "after" {
            name.push_str(&format!("_{key}-{value}"));
        }
    }
    name.push_str(".csv");
    name
}

struct Cursor {
    bo: BackOffice,
    filter: PaymentFilter,
    after: Option<PageAfter>,
    locale: Locale,
    names: bool,
    done: bool,
}

async fn next_chunk(mut cursor: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    if cursor.done {
        return None;
    }
    let rows = match cursor
        .bo
        .store
        .search_payments(&cursor.filter, cursor.after, CHUNK)
        .await
    {
        Ok(rows) => rows,
        Err(error) => {
            // The client sees a cut-off download, not a file that looks whole.
            tracing::warn!(%error, "the payment export stopped");
            cursor.done = true;
            return Some((Err(std::io::Error::other("export stopped")), cursor));
        }
    };
    cursor.done = (rows.len() as i64) < CHUNK;
    cursor.after = rows.last().map(|r| PageAfter {
        created_at: r.created_at,
        receipt: r.receipt,
    });
    let bytes = encode(rows.iter().map(|r| record(cursor.locale, r, cursor.names)));
    Some((Ok(bytes), cursor))
}

pub async fn csv(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query: FilterQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    // What the audit log and the file name keep: the filter as asked, less
    // any card number pasted into it.
    let raw = serde_urlencoded::to_string(without_card_numbers(&query).0).unwrap_or_default();
    let (filter, _, errors) = parse_filter(&query, today(&bo));
    let Some(staff) = &ctx.staff else {
        return busy();
    };
    let after = serde_json::json!({ "query": raw, "unparsed": errors.len() }).to_string();
    if bo
        .desk
        .audit(&ctx.actor(), "payments_exported", None, Some(after))
        .await
        .is_err()
    {
        return busy();
    }
    // A byte-order mark, so spreadsheet programs read the file as UTF-8.
    let mut head = b"\xEF\xBB\xBF".to_vec();
    head.extend_from_slice(&encode([csv_header(ctx.locale)]));
    let cursor = Cursor {
        bo: bo.clone(),
        filter,
        after: None,
        locale: ctx.locale,
        names: staff.role.may(Permission::ReadApplicantNames),
        done: false,
    };
    let rows = futures_util::stream::unfold(cursor, next_chunk);
    let head = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    // Fused: the compression layer polls the body once more after its end,
    // and `unfold` panics if polled past it.
    let body = Body::from_stream(head.chain(rows).fuse());
    let disposition = format!("attachment; filename=\"{}\"", file_name(&raw));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("Асанов"), "Асанов");
    }

    #[test]
    fn the_file_is_named_after_its_filter() {
        assert_eq!(
            file_name("from=2026-11-01&until=2026-11-30&status=succeeded&code=&last4=4242"),
            "payments_from-2026-11-01_until-2026-11-30_status-succeeded_last4-4242.csv"
        );
        assert_eq!(file_name(""), "payments.csv");
        assert_eq!(file_name("code=%22%3B%0Aevil"), "payments_code-evil.csv");
    }
}
