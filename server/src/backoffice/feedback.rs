//! The feedback inbox's handlers: the list (open messages, or all), a
//! message, and marking it handled with a note (once: a second staff
//! member is told someone did it already). Marking is audited.

use super::guard::Ctx;
use super::{BackOffice, busy, not_found};
use crate::storage::FeedbackItem;
use app::backoffice::feedback::{self, Message};
use app::messages::Msg;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

const PAGE: i64 = 50;
const NOTE_CHARS: usize = 2_000;

#[derive(Deserialize, Default)]
struct ListQuery {
    all: Option<String>,
    before: Option<i64>,
}

fn message(ctx: &Ctx, item: FeedbackItem) -> Message {
    Message {
        id: item.id,
        topic: app::pages::topic_name(ctx.locale, &item.topic),
        text: item.message,
        reply_email: item.reply_email,
        receipt_number: item.receipt_number,
        created_at: item.created_at,
        handled: item.handled_at.map(|at| {
            (
                at,
                item.handled_by.unwrap_or_default(),
                item.handled_note.unwrap_or_default(),
            )
        }),
    }
}

pub async fn list(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query: ListQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let all = query.all.is_some();
    let (Some(frame), Ok(mut items)) = (
        ctx.frame(),
        bo.store.feedback_page(!all, query.before, PAGE + 1).await,
    ) else {
        return busy();
    };
    let next = (items.len() as i64 > PAGE).then(|| {
        items.truncate(PAGE as usize);
        let last = items.last().map(|i| i.id).unwrap_or_default();
        let all = if all { "all=1&" } else { "" };
        format!("/admin/feedback?{all}before={last}")
    });
    let messages: Vec<Message> = items.into_iter().map(|i| message(&ctx, i)).collect();
    Html(feedback::list(ctx.locale, &frame, &messages, all, next)).into_response()
}

async fn item_page(
    bo: &BackOffice,
    ctx: &Ctx,
    id: i64,
    note: &str,
    error: Option<Msg>,
) -> Response {
    let Some(frame) = ctx.frame() else {
        return busy();
    };
    match bo.store.feedback_item(id).await {
        Ok(Some(item)) => {
            let status = if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let page = feedback::item(ctx.locale, &frame, &message(ctx, item), note, error);
            (status, Html(page)).into_response()
        }
        Ok(None) => not_found(ctx),
        Err(_) => busy(),
    }
}

pub async fn item(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found(&ctx);
    };
    item_page(&bo, &ctx, id, "", None).await
}

#[derive(Deserialize)]
pub struct HandledForm {
    #[serde(default)]
    note: String,
}

pub async fn handled(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(form): Form<HandledForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&ctx);
    };
    let note = form.note.trim();
    if note.is_empty() || note.chars().count() > NOTE_CHARS {
        return item_page(&bo, &ctx, id, &form.note, Some(Msg::BoFeedbackNoteEmpty)).await;
    }
    let actor = ctx.actor();
    let by = actor.email.clone().unwrap_or_default();
    let mut entry = bo.desk.entry(
        &actor,
        "feedback_handled",
        Some(("feedback", &id.to_string())),
    );
    entry.after = Some(serde_json::json!({ "note": note }).to_string());
    match bo.store.mark_handled(id, &by, note, &entry).await {
        // Post, redirect, get: a reload does not post again.
        Ok(true) => Redirect::to(&format!("/admin/feedback/{id}")).into_response(),
        Ok(false) => item_page(&bo, &ctx, id, &form.note, Some(Msg::BoFeedbackAlready)).await,
        Err(_) => busy(),
    }
}
