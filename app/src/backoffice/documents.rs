//! Publishing a document's new edition (admins): the document, the moment
//! it takes effect (Bishkek time), its Markdown in each language (Russian
//! required, translations optional); a preview renders each text as the
//! public page will, and publishing goes through the same checks as the
//! `publish` command. The editions each document has are listed beside.

use super::{Frame, csrf_field, document, problem};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use crate::pages::document_title;
use chrono::{DateTime, Utc};
use domain::DocumentKind;
use leptos::prelude::*;

/// The form as typed.
#[derive(Clone, Debug, Default)]
pub struct EditionForm {
    /// The document's slug.
    pub document: String,
    /// `YYYY-MM-DDTHH:MM`, Bishkek time.
    pub effective_from: String,
    /// (language, Markdown) for ru, ky, en.
    pub texts: Vec<(&'static str, String)>,
    /// (field, message); the field `""` is about the whole form.
    pub errors: Vec<(&'static str, Msg)>,
}

/// A text rendered as the public page shows it.
pub struct Preview {
    pub language: &'static str,
    pub edition: u32,
    pub effective_from: DateTime<Utc>,
    /// Rendered from Markdown whose raw HTML was refused or shown as text.
    pub html: String,
}

/// An edition published so far: document, number, moment, languages.
pub struct EditionLine {
    pub document: DocumentKind,
    pub edition: u32,
    pub effective_from: DateTime<Utc>,
    pub languages: String,
}

/// The moment, to the second (`step="1"`: a browser refuses seconds otherwise).
fn moment_field(locale: Locale, form: &EditionForm) -> impl IntoView + use<> {
    let error = form
        .errors
        .iter()
        .find(|(field, _)| *field == "effective_from")
        .map(|(_, msg)| msg.text(locale));
    view! {
        <div class="field">
            <label for="effective_from">{td_string!(locale, bo_documents_effective_label)}</label>
            {error.map(|text| view! { <p class="field-error" id="effective_from-error">{text}</p> })}
            <input id="effective_from" name="effective_from" type="datetime-local" step="1" required
                value=form.effective_from.clone()
                aria-invalid=error.map(|_| "true") aria-describedby=error.map(|_| "effective_from-error")/>
        </div>
    }
}

fn language_name(language: &str) -> &'static str {
    match language {
        "ky" => "Кыргызча",
        "en" => "English",
        _ => "Русский",
    }
}

pub fn page(
    locale: Locale,
    frame: &Frame,
    form: &EditionForm,
    previews: &[Preview],
    editions: &[EditionLine],
    published: Option<u32>,
) -> String {
    let title = td_string!(locale, bo_documents_title);
    let options = DocumentKind::ALL
        .into_iter()
        .map(|kind| {
            let selected = form.document == kind.slug();
            view! { <option value=kind.slug() selected=selected>{document_title(locale, kind)}</option> }
        })
        .collect_view();
    let whole = form
        .errors
        .iter()
        .find(|(field, _)| field.is_empty())
        .map(|(_, msg)| problem(msg.text(locale).to_owned()));
    let texts = form
        .texts
        .iter()
        .map(|(language, text)| {
            let name = format!("text_{language}");
            let error = form
                .errors
                .iter()
                .find(|(field, _)| *field == *language)
                .map(|(_, msg)| msg.text(locale));
            let invalid = error.map(|_| "true");
            let described = error.map(|_| format!("{name}-error"));
            view! {
                <div class="field">
                    <label for=name.clone()>{td_string!(locale, bo_documents_text_label)} " — " {language_name(language)}</label>
                    {error.map(|text| view! { <p class="field-error" id=format!("{name}-error")>{text}</p> })}
                    <textarea id=name.clone() name=name rows="12" lang=*language
                        aria-invalid=invalid aria-describedby=described>{text.clone()}</textarea>
                </div>
            }
        })
        .collect_view();
    let previews = previews
        .iter()
        .map(|p| {
            let date = format::day(locale, p.effective_from);
            view! {
                <section class="bo-preview" aria-label=format!("{} — {}", td_string!(locale, bo_documents_preview_title), language_name(p.language))>
                    <h2>{td_string!(locale, bo_documents_preview_title)} " — " {language_name(p.language)}</h2>
                    <article class="document" lang=p.language>
                        <p class="edition">{td_string!(locale, edition_number, number = p.edition, date = date)}</p>
                        <div inner_html=p.html.clone()></div>
                    </article>
                </section>
            }
        })
        .collect_view();
    let rows = editions
        .iter()
        .map(|e| {
            view! {
                <tr>
                    <td>{document_title(locale, e.document)}</td>
                    <td class="num">{e.edition}</td>
                    <td>{format::date_time(locale, e.effective_from)}</td>
                    <td>{e.languages.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{title}</h1>
        {published.map(|n| view! { <p class="success" role="status">{td_string!(locale, bo_documents_published)} " " {n}</p> })}
        {whole}
        <form method="post" action="/admin/documents" class="bo-form">
            {csrf_field(&frame.csrf)}
            <div class="field">
                <label for="document">{td_string!(locale, bo_documents_document_label)}</label>
                <select id="document" name="document">{options}</select>
            </div>
            {moment_field(locale, form)}
            {texts}
            <button type="submit" name="action" value="preview" class="button secondary">{td_string!(locale, bo_documents_preview_button)}</button>
            " "
            <button type="submit" name="action" value="publish" class="button">{td_string!(locale, bo_documents_publish_button)}</button>
        </form>
        {previews}
        <h2>{td_string!(locale, bo_documents_editions_title)}</h2>
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_documents_document_label)}</th>
                <th scope="col">"№"</th>
                <th scope="col">{td_string!(locale, bo_documents_effective_label)}</th>
                <th scope="col">{td_string!(locale, bo_documents_languages)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    document(locale, title, Some(frame), &frame.here, body)
}
