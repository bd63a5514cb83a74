//! Signing in: email and password, then the one-time code (with, at the
//! first sign-in, the QR code and key that enrol the authenticator). The
//! fields carry the `autocomplete` tokens password managers look for.

use super::{csrf_field, document, problem};
use crate::i18n::*;
use leptos::prelude::*;

/// Why the last attempt did not go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInProblem {
    /// Wrong email or password (which is not said).
    Wrong,
    WrongCode,
    /// Too many attempts a minute from here or for this account.
    Throttled,
    /// Locked until this time (Bishkek, as written on the page).
    Locked(String),
    /// The sign-in or the session ran out; start again.
    Expired,
    /// The form came without this browser's token (an old or copied page).
    StaleForm,
    /// The database was busy; nothing was decided.
    Busy,
}

fn text(locale: Locale, problem: &SignInProblem) -> String {
    match problem {
        SignInProblem::Wrong => td_string!(locale, bo_sign_in_wrong).to_owned(),
        SignInProblem::WrongCode => td_string!(locale, bo_code_wrong).to_owned(),
        SignInProblem::Throttled => td_string!(locale, bo_sign_in_throttled).to_owned(),
        SignInProblem::Locked(until) => {
            td_string!(locale, bo_sign_in_locked, until = until.clone()).to_string()
        }
        SignInProblem::Expired => td_string!(locale, bo_sign_in_expired).to_owned(),
        SignInProblem::StaleForm => td_string!(locale, bo_stale_form).to_owned(),
        SignInProblem::Busy => td_string!(locale, busy_try_again).to_owned(),
    }
}

/// The first step: email and password.
pub fn sign_in(locale: Locale, csrf: &str, email: &str, trouble: Option<&SignInProblem>) -> String {
    let title = td_string!(locale, bo_sign_in_title);
    let body = view! {
        <h1>{title}</h1>
        {trouble.map(|p| problem(text(locale, p)))}
        <form method="post" action="/admin/login" class="bo-form">
            {csrf_field(csrf)}
            <div class="field">
                <label for="email">{td_string!(locale, bo_email_label)}</label>
                <input id="email" name="email" type="email" autocomplete="username"
                    spellcheck="false" required value=email.to_owned()/>
            </div>
            <div class="field">
                <label for="password">{td_string!(locale, bo_password_label)}</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required/>
            </div>
            <button type="submit" class="button">{td_string!(locale, bo_continue)}</button>
        </form>
    };
    document(locale, title, None, "/admin/login", body)
}

/// What enrolling an authenticator shows: its QR code and the key to type
/// where a camera cannot be used.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// Inline SVG of the `otpauth://` URI.
    pub qr_svg: String,
    /// The base32 key, grouped by four for typing.
    pub key: String,
}

/// The second step: the one-time code.
pub fn code(
    locale: Locale,
    csrf: &str,
    enrolment: Option<&Enrolment>,
    trouble: Option<&SignInProblem>,
) -> String {
    let title = match enrolment {
        Some(_) => td_string!(locale, bo_enrol_title),
        None => td_string!(locale, bo_code_title),
    };
    let enrol = enrolment.map(|e| {
        view! {
            <p>{td_string!(locale, bo_enrol_intro)}</p>
            <figure class="bo-qr">
                <div inner_html=e.qr_svg.clone()></div>
                <figcaption>
                    {td_string!(locale, bo_enrol_key)} " " <code id="totp-key">{e.key.clone()}</code>
                </figcaption>
            </figure>
        }
    });
    let body = view! {
        <h1>{title}</h1>
        {trouble.map(|p| problem(text(locale, p)))}
        {enrol}
        <form method="post" action="/admin/login/code" class="bo-form">
            {csrf_field(csrf)}
            <div class="field">
                <label for="code">{td_string!(locale, bo_code_label)}</label>
                <p class="hint" id="code-hint">{td_string!(locale, bo_code_hint)}</p>
                <input id="code" name="code" type="text" inputmode="numeric"
                    autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="7"
                    aria-describedby="code-hint" required/>
            </div>
            <button type="submit" class="button">{td_string!(locale, bo_sign_in_button)}</button>
        </form>
        <p><a href="/admin/login">{td_string!(locale, bo_start_again)}</a></p>
    };
    document(locale, title, None, "/admin/login/code", body)
}

/// A form posted without this session's token (an old tab, a copied page,
/// or another site's attempt): nothing was done.
pub fn stale(locale: Locale) -> String {
    let title = td_string!(locale, bo_forbidden_title);
    let body = view! {
        <h1>{title}</h1>
        {problem(td_string!(locale, bo_stale_form).to_owned())}
        <p><a href="/admin">{td_string!(locale, bo_continue)}</a></p>
    };
    document(locale, title, None, "/admin", body)
}
