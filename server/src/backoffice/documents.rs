//! Publishing a new edition of a document from the back office (admins):
//! the form parsed (document, moment in Bishkek time, Markdown per
//! language), a preview rendered by the public page's own renderer, and
//! publishing through [`crate::documents::publish`], the service the
//! `publish` command uses, with its checks: Russian first, then each
//! translation under the new number. Audited.

use super::guard::Ctx;
use super::{BackOffice, busy};
use crate::documents::{
    AUTHORITATIVE_LANGUAGE, LANGUAGES, NewEdition, PublishError, check_source, publish,
    render_markdown,
};
use app::backoffice::documents::{EditionForm, EditionLine, Preview, page};
use app::messages::Msg;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Bishkek;
use domain::DocumentKind;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct EditionFields {
    #[serde(default)]
    document: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    text_ru: String,
    #[serde(default)]
    text_ky: String,
    #[serde(default)]
    text_en: String,
    #[serde(default)]
    action: String,
}

#[derive(Deserialize)]
pub struct Published {
    published: Option<u32>,
}

/// `YYYY-MM-DDTHH:MM[:SS]` in Bishkek time.
fn bishkek_moment(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Bishkek
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn message(error: &PublishError) -> Msg {
    match error {
        PublishError::Empty | PublishError::NewEditionNotInRussian => {
            Msg::BoDocumentsRussianRequired
        }
        PublishError::NoTitle => Msg::BoDocumentsNoTitle,
        PublishError::RawHtml(_) => Msg::BoDocumentsRawHtml,
        PublishError::TooLong(_) => Msg::BoDocumentsTooLong,
        PublishError::OutOfOrder(_) => Msg::BoDocumentsOutOfOrder,
        PublishError::UnknownDocument(_) => Msg::BoDocumentsUnknown,
        _ => Msg::BoDocumentsRefused,
    }
}

fn editions(bo: &BackOffice) -> Vec<EditionLine> {
    let library = bo.payments.documents.library();
    let mut lines = Vec::new();
    for kind in DocumentKind::ALL {
        let mut by_number: BTreeMap<u32, (DateTime<Utc>, Vec<String>)> = BTreeMap::new();
        for record in library.records(kind) {
            let entry = by_number
                .entry(record.edition)
                .or_insert((record.effective_from, Vec::new()));
            entry.1.push(record.language.clone());
        }
        for (edition, (effective_from, languages)) in by_number.into_iter().rev() {
            lines.push(EditionLine {
                document: kind,
                edition,
                effective_from,
                languages: languages.join(", "),
            });
        }
    }
    lines
}

fn render(
    bo: &BackOffice,
    ctx: &Ctx,
    status: StatusCode,
    form: &EditionForm,
    previews: &[Preview],
    published: Option<u32>,
) -> Response {
    let Some(frame) = ctx.frame() else {
        return busy();
    };
    let html = page(ctx.locale, &frame, form, previews, &editions(bo), published);
    (status, Html(html)).into_response()
}

pub async fn form(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Query(query): Query<Published>,
) -> Response {
    let form = EditionForm {
        document: DocumentKind::PrivacyPolicy.slug().into(),
        texts: LANGUAGES.iter().map(|l| (*l, String::new())).collect(),
        ..EditionForm::default()
    };
    render(&bo, &ctx, StatusCode::OK, &form, &[], query.published)
}

pub async fn submit(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Form(fields): Form<EditionFields>,
) -> Response {
    let mut form = EditionForm {
        document: fields.document.clone(),
        effective_from: fields.effective_from.clone(),
        texts: vec![
            ("ru", fields.text_ru),
            ("ky", fields.text_ky),
            ("en", fields.text_en),
        ],
        errors: Vec::new(),
    };
    let kind = DocumentKind::from_slug(&form.document);
    if kind.is_none() {
        form.errors.push(("", Msg::BoDocumentsUnknown));
    }
    let moment = bishkek_moment(&form.effective_from);
    if moment.is_none() {
        form.errors
            .push(("effective_from", Msg::BoDocumentsBadMoment));
    }
    for (language, text) in &form.texts {
        let given = !text.trim().is_empty();
        if *language == AUTHORITATIVE_LANGUAGE && !given {
            form.errors
                .push((language, Msg::BoDocumentsRussianRequired));
        } else if given && let Err(error) = check_source(text) {
            form.errors.push((language, message(&error)));
        }
    }
    let (Some(kind), Some(moment), true) = (kind, moment, form.errors.is_empty()) else {
        return render(
            &bo,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &[],
            None,
        );
    };
    let library = bo.payments.documents.library();
    let next = library.records(kind).map(|r| r.edition).max().unwrap_or(0) + 1;
    if fields.action != "publish" {
        let previews: Vec<Preview> = form
            .texts
            .iter()
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(language, text)| Preview {
                language,
                edition: next,
                effective_from: moment,
                html: render_markdown(text),
            })
            .collect();
        return render(&bo, &ctx, StatusCode::OK, &form, &previews, None);
    }
    let by = ctx.actor().email.clone().unwrap_or_default();
    let now = bo.desk.now();
    let mut number = None;
    let mut languages = Vec::new();
    for (language, text) in form.texts.iter().filter(|(_, t)| !t.trim().is_empty()) {
        let new = NewEdition {
            document: kind.slug().into(),
            language: (*language).into(),
            edition: number,
            effective_from: moment,
            source: text.clone(),
            published_by: by.clone(),
        };
        match publish(&bo.payments.documents, new, now).await {
            Ok(n) => {
                number = Some(n);
                languages.push(*language);
            }
            Err(error) => {
                let field = if number.is_none() { "" } else { language };
                form.errors.push((field, message(&error)));
                break;
            }
        }
    }
    let Some(number) = number else {
        return render(
            &bo,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &[],
            None,
        );
    };
    let after = serde_json::json!({
        "edition": number,
        "languages": languages,
        "effective_from": moment,
    });
    let _ = bo
        .desk
        .audit(
            &ctx.actor(),
            "edition_published",
            Some(("document", kind.slug())),
            Some(after.to_string()),
        )
        .await;
    if !form.errors.is_empty() {
        // Russian went out; a translation did not: say so, keep the texts.
        return render(
            &bo,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &[],
            Some(number),
        );
    }
    Redirect::to(&format!("/admin/documents?published={number}")).into_response()
}
