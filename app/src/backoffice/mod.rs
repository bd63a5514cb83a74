//! The operator's back office, server-rendered: each page is a function
//! from what its handler read (`server::backoffice`) to a whole HTML
//! document, one file per page (sign-in, payments, a payment, staff
//! accounts, the audit log, the feedback inbox), with the frame around them here. No page
//! carries a script; every action is a plain form with its CSRF token.

pub mod agencies;
pub mod audit;
pub mod charts;
pub mod documents;
pub mod feedback;
pub mod login;
pub mod overview;
pub mod payment;
pub mod payments;
pub mod refund;
pub mod users;

use crate::i18n::*;
use crate::lang;
use domain::staff::Role;
use leptos::prelude::*;

/// Who is signed in, for the header and the menu.
#[derive(Clone, Debug)]
pub struct Frame {
    pub email: String,
    pub role: Role,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// The page's address, for the language switch to come back to.
    pub here: String,
    pub test_mode: bool,
}

pub fn role_name(locale: Locale, role: Role) -> &'static str {
    match role {
        Role::Admin => td_string!(locale, role_admin),
        Role::Finance => td_string!(locale, role_finance),
        Role::Support => td_string!(locale, role_support),
        Role::Viewer => td_string!(locale, role_viewer),
    }
}

/// The CSRF token's hidden field.
pub fn csrf_field(token: &str) -> impl IntoView + use<> {
    view! { <input type="hidden" name="csrf" value=token.to_owned()/> }
}

fn menu(locale: Locale, frame: &Frame) -> impl IntoView + use<> {
    use domain::staff::Permission::*;
    let item = |href: &'static str, text: &'static str| {
        view! { <li><a href=href>{text}</a></li> }
    };
    let users = frame
        .role
        .may(ManageUsers)
        .then(|| item("/admin/users", td_string!(locale, bo_users_title)));
    let audit = frame
        .role
        .may(ReadAudit)
        .then(|| item("/admin/audit", td_string!(locale, bo_audit_title)));
    let agencies = frame
        .role
        .may(ManageAgencies)
        .then(|| item("/admin/agencies", td_string!(locale, bo_agencies_title)));
    let documents = frame
        .role
        .may(PublishDocuments)
        .then(|| item("/admin/documents", td_string!(locale, bo_documents_title)));
    let feedback = frame
        .role
        .may(HandleFeedback)
        .then(|| item("/admin/feedback", td_string!(locale, bo_feedback_title)));
    view! {
        <nav class="bo-menu" aria-label=td_string!(locale, bo_menu_label)>
            <ul>
                {item("/admin/overview", td_string!(locale, bo_overview_title))}
                {item("/admin/payments", td_string!(locale, bo_payments_title))}
                {feedback}
                {documents}
                {agencies}
                {users}
                {audit}
            </ul>
            <p class="bo-who">
                {frame.email.clone()} " · " {role_name(locale, frame.role)}
            </p>
            <form method="post" action="/admin/logout" class="bo-inline">
                {csrf_field(&frame.csrf)}
                <button type="submit" class="link-button">{td_string!(locale, bo_sign_out)}</button>
            </form>
        </nav>
    }
}

/// A whole back-office document around `body`.
pub fn document(
    locale: Locale,
    title: &str,
    frame: Option<&Frame>,
    here: &str,
    body: impl IntoView + 'static,
) -> String {
    let title = format!("{title} — {}", td_string!(locale, bo_name));
    let menu = frame.map(|f| menu(locale, f));
    let banner = frame.filter(|f| f.test_mode).map(|_| {
        view! {
            <div class="test-mode" role="status">
                <p class="container">{td_string!(locale, test_mode_banner)}</p>
            </div>
        }
    });
    let languages = crate::pages::language_switch(locale, here);
    Owner::new().with(move || {
        view! {
            <!DOCTYPE html>
            <html lang=lang::tag(locale)>
                <head>
                    <meta charset="utf-8"/>
                    <meta name="viewport" content="width=device-width, initial-scale=1"/>
                    <meta name="robots" content="noindex"/>
                    <title>{title}</title>
                    <link rel="stylesheet" href="/pkg/tolem.css"/>
                    <link rel="stylesheet" href="/admin/style.css"/>
                    <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                </head>
                <body class="bo">
                    <a class="skip-link" href="#main">{td_string!(locale, skip_to_content)}</a>
                    {banner}
                    <header class="site-header">
                        <div class="container header-row">
                            <a class="site-name" href="/admin">{td_string!(locale, bo_name)}</a>
                            {languages}
                        </div>
                        {menu.map(|m| view! { <div class="container">{m}</div> })}
                    </header>
                    <main id="main" class="container bo-main">{body}</main>
                </body>
            </html>
        }
        .to_html()
    })
}

/// The page of a refused or missing address.
pub fn refusal(locale: Locale, frame: Option<&Frame>, here: &str, forbidden: bool) -> String {
    let (title, text) = if forbidden {
        (
            td_string!(locale, bo_forbidden_title),
            td_string!(locale, bo_forbidden_text),
        )
    } else {
        (
            td_string!(locale, not_found_title),
            td_string!(locale, not_found_text),
        )
    };
    let body = view! {
        <h1>{title}</h1>
        <p>{text}</p>
        <p><a href="/admin/payments">{td_string!(locale, bo_payments_title)}</a></p>
    };
    document(locale, title, frame, here, body)
}

/// A problem above a form (`role="alert"` so it is announced).
pub fn problem(text: String) -> impl IntoView {
    view! { <div class="problem" role="alert"><p>{text}</p></div> }
}
