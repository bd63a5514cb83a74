//! The audit log page, for admins: newest first, filtered by who (email),
//! what (action) and when (Bishkek dates), in keyset pages by `seq`.

use super::guard::Ctx;
use super::{BackOffice, busy};
use crate::storage::AuditFilter;
use app::backoffice::audit::{AuditPage, Line};
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Bishkek;
use serde::Deserialize;

const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    before: Option<i64>,
}

fn day_start(text: &str, next: bool) -> Option<chrono::DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    let day = if next { day.succ_opt()? } else { day };
    Bishkek
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn list(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Response {
    // A malformed address reads as no filter rather than an error page.
    let q: AuditQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let filter = AuditFilter {
        actor_email: Some(q.actor.trim().to_lowercase()).filter(|a| !a.is_empty()),
        action: Some(q.action.trim().to_owned()).filter(|a| !a.is_empty()),
        from: day_start(&q.from, false),
        until: day_start(&q.until, true),
        before_seq: q.before,
        limit: PAGE + 1,
    };
    let (Some(frame), Ok(mut entries)) = (ctx.frame(), bo.store.audit_entries(&filter).await)
    else {
        return busy();
    };
    let next = (entries.len() as i64 > PAGE).then(|| {
        entries.truncate(PAGE as usize);
        let last = entries.last().map(|e| e.seq).unwrap_or_default();
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("actor", &q.actor)
            .append_pair("action", &q.action)
            .append_pair("from", &q.from)
            .append_pair("until", &q.until)
            .append_pair("before", &last.to_string());
        format!("/admin/audit?{}", query.finish())
    });
    let page = AuditPage {
        lines: entries
            .into_iter()
            .map(|e| Line {
                at: e.at,
                actor: e.actor_email,
                action: e.action,
                record: e
                    .record_type
                    .zip(e.record_id)
                    .map(|(t, id)| format!("{t}/{id}")),
                address: e.address,
                before: e.before,
                after: e.after,
            })
            .collect(),
        actor: q.actor,
        action: q.action,
        from: q.from,
        until: q.until,
        next,
    };
    Html(app::backoffice::audit::render(ctx.locale, &frame, &page)).into_response()
}
