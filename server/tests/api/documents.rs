//! Policy documents with editions, consent recorded on payments, the
//! publishing subcommand, and feedback.

use crate::helpers::*;
use chrono::{DateTime, Duration, Utc};
use server::documents::{NewEdition, publish};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A server whose clock starts now and moves when the test says.
struct MovableClock(Arc<AtomicI64>);

impl MovableClock {
    fn new() -> (MovableClock, app::services::Clock) {
        let offset = Arc::new(AtomicI64::new(0));
        let read = offset.clone();
        let clock: app::services::Clock =
            Arc::new(move || Utc::now() + Duration::seconds(read.load(Ordering::SeqCst)));
        (MovableClock(offset), clock)
    }

    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_seconds(), Ordering::SeqCst);
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.0.load(Ordering::SeqCst))
    }
}

async fn app_with_clock() -> (TestApp, MovableClock) {
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let config = test_config(
        &url,
        server::config::ProcessorKind::Sandbox,
        &data_dir.path().display().to_string(),
    );
    let (movable, clock) = MovableClock::new();
    (
        TestApp::spawn_with_clock(data_dir, config, clock).await,
        movable,
    )
}

fn second_edition(language: &str, edition: Option<u32>, at: DateTime<Utc>) -> NewEdition {
    NewEdition {
        document: "privacy-policy".into(),
        language: language.into(),
        edition,
        effective_from: at,
        source: "# Политика конфиденциальности\n\nВторая редакция: новый порядок хранения.".into(),
        published_by: "Юридический отдел".into(),
    }
}

async fn get_with_language(app: &TestApp, path: &str, lang: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", format!("lang={lang}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_documents_list_and_pages_speak_every_language() {
    let app = TestApp::spawn().await;
    for (lang, title, agreement, edition) in [
        (
            "ru",
            "Документы",
            "Пользовательское соглашение",
            "Редакция от 25.11.2026",
        ),
        (
            "ky",
            "Документтер",
            "Колдонуучу макулдашуусу",
            "25.11.2026 редакциясы",
        ),
        ("en", "Documents", "User Agreement", "Edition of 25.11.2026"),
    ] {
        let (status, html) = get_with_language(&app, "/documents", lang).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{lang}");
        assert!(html.contains(agreement), "{lang}");
        assert!(html.contains(edition), "{lang}");
        assert!(html.contains(r#"href="/documents/user-agreement""#));

        let (status, html) = get_with_language(&app, "/documents/user-agreement", lang).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!(r#"<article lang="{lang}" class="document">"#)),
            "{lang}"
        );
        assert!(html.contains(r#"href="/documents/user-agreement/editions""#));
    }
    let (_, html) = get_with_language(&app, "/documents/privacy-policy", "en").await;
    assert!(
        html.contains("This is a translation"),
        "marked as a translation"
    );
    let (status, _) = app.get_html("/documents/no-such-document").await;
    assert_eq!(status, 404);
    let (status, _) = app.get_html("/documents/privacy-policy/editions/7").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_scheduled_edition_is_invisible_until_its_moment_then_in_force_without_a_restart() {
    let (app, clock) = app_with_clock().await;
    let at = clock.now() + Duration::hours(1);
    assert_eq!(
        publish(
            &app.payments.documents,
            second_edition("ru", None, at),
            clock.now()
        )
        .await,
        Ok(2)
    );

    let (_, html) = app.get_html("/documents/privacy-policy").await;
    assert!(html.contains("Редакция № 1 от 25.11.2026"));
    assert!(!html.contains("Вторая редакция"));
    let (status, _) = app.get_html("/documents/privacy-policy/editions/2").await;
    assert_eq!(status, 404, "not published before its time");

    clock.advance(Duration::hours(2));
    let (_, html) = app.get_html("/documents/privacy-policy").await;
    assert!(html.contains("Вторая редакция"), "{html}");
    assert!(html.contains("Редакция № 2"));
    let (_, archive) = app.get_html("/documents/privacy-policy/editions").await;
    assert!(archive.contains(r#"href="/documents/privacy-policy/editions/1""#));
    assert!(archive.contains(r#"href="/documents/privacy-policy/editions/2""#));
    let (status, old) = app.get_html("/documents/privacy-policy/editions/1").await;
    assert_eq!(status, 200);
    assert!(old.contains("Эта редакция больше не действует"));
    // Edition 2 has no Kyrgyz text yet: the Russian one, said so in Kyrgyz.
    let (_, html) = get_with_language(&app, "/documents/privacy-policy", "ky").await;
    assert!(html.contains("Бул документ орус тилинде гана жеткиликтүү"));
}

#[tokio::test]
async fn a_repeat_visit_to_an_unchanged_document_costs_a_304() {
    let (app, clock) = app_with_clock().await;
    let first = app.get("/documents/privacy-policy").await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(last_modified, "Tue, 24 Nov 2026 18:00:00 GMT");

    let again = app
        .client
        .get(app.url("/documents/privacy-policy"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.text().await.unwrap().is_empty());
    let by_date = app
        .client
        .get(app.url("/documents/privacy-policy"))
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), 304);

    publish(
        &app.payments.documents,
        second_edition("ru", None, clock.now()),
        clock.now(),
    )
    .await
    .unwrap();
    let changed = app
        .client
        .get(app.url("/documents/privacy-policy"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "a new edition is a new page");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn a_payment_records_the_editions_and_its_receipt_names_them() {
    let app = TestApp::spawn().await;
    let (_, form) = app.get_html("/pay/11202600000001").await;
    assert!(form.contains(r#"name="privacy_policy_edition" value="1""#));
    assert!(form.contains(r#"name="user_agreement_edition" value="1""#));
    assert!(form.contains(r#"href="/documents/user-agreement""#));
    let response = app
        .post_card_form("11202600000001", &card_fields(APPROVED_CARD, CVV))
        .await;
    let receipt_path = location(&response);
    let id = domain::PaymentId::parse(receipt_path.trim_start_matches("/receipt/")).unwrap();
    let stored = app
        .payments
        .store
        .approved_payment(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.privacy_policy_edition, stored.user_agreement_edition),
        (Some(1), Some(1))
    );
    let (_, receipt) = app.get_html(&receipt_path).await;
    assert!(receipt.contains("Принятые условия"));
    assert!(receipt.contains(r#"href="/documents/privacy-policy/editions/1""#));
    assert!(receipt.contains(r#"href="/documents/user-agreement/editions/1""#));
}

#[tokio::test]
async fn a_new_edition_between_form_and_submit_holds_the_payment_until_it_is_seen() {
    let (app, clock) = app_with_clock().await;
    let key = app.form_key("11202600000002").await;
    publish(
        &app.payments.documents,
        second_edition("ru", None, clock.now()),
        clock.now(),
    )
    .await
    .unwrap();
    let held = app
        .post_card_form_with_key("11202600000002", &key, &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(held.status(), 409);
    let html = held.text().await.unwrap();
    assert!(html.contains("вступила в силу новая редакция"));
    assert!(html.contains(r#"name="privacy_policy_edition" value="2""#));
    assert!(html.contains(r#"value="aibek asanov""#), "typed name kept");
    assert!(
        html.contains("(Visa •••• 1111)"),
        "the number named, not sent"
    );
    assert!(!gives_cvv_back(&html, CVV));
    assert_eq!(app.calls(), 0, "nothing charged");

    let mut fields = card_fields(APPROVED_CARD, CVV);
    fields.push(("idempotency_key", &key));
    fields.push(("privacy_policy_edition", "2"));
    fields.push(("user_agreement_edition", "1"));
    let paid = app
        .client
        .post(app.url("/pay/11202600000002"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 303);
    let id = domain::PaymentId::parse(location(&paid).trim_start_matches("/receipt/")).unwrap();
    let stored = app
        .payments
        .store
        .approved_payment(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.privacy_policy_edition, Some(2));
}

#[tokio::test]
async fn the_publish_subcommand_publishes_a_good_file_and_refuses_a_malformed_one() {
    let dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(dir.path());
    let good = dir.path().join("agreement-2.md");
    std::fs::write(&good, "# Пользовательское соглашение\n\nВторая редакция.\n").unwrap();
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, "Без заголовка <b>и с HTML</b>\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("publish")
            .args(args)
            .env("DATABASE_URL", &url)
            .env("TOLEM_LOG", "warn")
            .output()
            .expect("run the server binary")
    };
    let published = run(&[
        "--document",
        "user-agreement",
        "--language",
        "ru",
        "--effective-from",
        "2026-12-01T00:00:00+06:00",
        "--published-by",
        "Юридический отдел",
        good.to_str().unwrap(),
    ]);
    assert!(published.status.success(), "{published:?}");
    let said = String::from_utf8_lossy(&published.stdout);
    assert!(
        said.contains("published edition 2 of user-agreement (ru)"),
        "{said}"
    );

    let refused = run(&[
        "--document",
        "user-agreement",
        "--language",
        "ru",
        "--effective-from",
        "2026-12-02T00:00:00+06:00",
        "--published-by",
        "Юридический отдел",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("level-1 heading"), "{why}");

    let unknown = run(&[
        "--document",
        "cookie-policy",
        "--language",
        "ru",
        "--effective-from",
        "2026-12-02T00:00:00+06:00",
        "--published-by",
        "X",
        good.to_str().unwrap(),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown document"));
    let bad_time = run(&[
        "--document",
        "user-agreement",
        "--language",
        "ru",
        "--effective-from",
        "tomorrow",
        "--published-by",
        "X",
        good.to_str().unwrap(),
    ]);
    assert_eq!(bad_time.status.code(), Some(2));

    let store = server::storage::connect(&url).await.unwrap();
    let editions = store.all_editions().await.unwrap();
    let russian: Vec<u32> = editions
        .iter()
        .filter(|e| e.document == "user-agreement" && e.language == "ru")
        .map(|e| e.edition)
        .collect();
    assert_eq!(russian, [1, 2], "only the good file was stored");
}

#[tokio::test]
async fn feedback_is_stored_rate_limited_and_never_keeps_a_card_number() {
    let app = TestApp::spawn().await;
    let (status, form) = app.get_html("/feedback").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"<form method="post" action="/feedback""#));
    let (_, contacts) = app.get_html("/contacts").await;
    assert!(contacts.contains(r#"href="mailto:support@infocom.kg""#));
    assert!(contacts.contains(r#"href="tel:+996312986190""#));

    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/feedback"))
                .form(&fields)
                .send()
                .await
                .unwrap()
        }
    };
    let card = post(vec![
        ("topic", "payment".into()),
        (
            "message",
            "Списали дважды с карты 4111 1111 1111 1111".into(),
        ),
    ])
    .await;
    assert_eq!(card.status(), 422);
    let html = card.text().await.unwrap();
    assert!(html.contains("номер банковской карты"));
    assert!(!html.contains("4111 1111"), "not shown back");
    assert!(!contains(&app.database_bytes(), "4111 1111 1111 1111"));

    let sent = post(vec![
        ("topic", "payment".into()),
        ("message", "Оплата по коду 11202600000001 не прошла".into()),
        ("reply_email", "aibek@example.kg".into()),
        ("receipt_number", "".into()),
    ])
    .await;
    assert_eq!(sent.status(), 303);
    assert_eq!(location(&sent), "/feedback/sent");
    let (_, thanks) = app.get_html("/feedback/sent").await;
    assert!(thanks.contains("Сообщение отправлено"));

    for _ in 0..4 {
        let ok = post(vec![("topic", "other".into()), ("message", "Ещё".into())]).await;
        assert_eq!(ok.status(), 303);
    }
    let limited = post(vec![
        ("topic", "other".into()),
        ("message", "Шестое".into()),
    ])
    .await;
    assert_eq!(limited.status(), 429);
    assert!(
        limited
            .text()
            .await
            .unwrap()
            .contains("Слишком много сообщений")
    );
}
