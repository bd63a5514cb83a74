//! Publishing an edition from the back office: an admin previews the text
//! as the public page renders it, is refused a text the `publish` command
//! would refuse (the form kept), publishes Russian and a translation, and
//! the public page shows the edition from its moment on; other roles may
//! not reach the form.

use crate::helpers::TestApp;
use crate::staff::account;
use domain::DocumentKind;
use domain::staff::Role;
use std::time::Duration;

fn moment_in_bishkek(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(6))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn an_admin_previews_and_publishes_an_edition() {
    let app = TestApp::spawn().await;
    let support = account(&app, "support@infocom.kg", Role::Support).await;
    support.sign_in().await;
    let (status, _, _) = support.get("/admin/documents").await;
    assert_eq!(status, 403);

    let admin = account(&app, "lawyer@infocom.kg", Role::Admin).await;
    admin.sign_in().await;
    let (status, page, _) = admin.get("/admin/documents").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"name="text_ky""#));
    let later = moment_in_bishkek(chrono::Utc::now() + chrono::Duration::seconds(3));
    let ru = "# Политика конфиденциальности\n\nВторая редакция: **новое** правило.\n";
    let preview = [
        ("document", "privacy-policy"),
        ("effective_from", later.as_str()),
        ("text_ru", ru),
        ("action", "preview"),
    ];
    let (status, page, _) = admin
        .post("/admin/documents", "/admin/documents", &preview)
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<strong>новое</strong>"),
        "rendered: {page:.3000}"
    );
    assert!(page.contains("Редакция № 2"));
    // Refused as the command would refuse it, the texts kept.
    let refused = [
        ("document", "privacy-policy"),
        ("effective_from", later.as_str()),
        ("text_ru", ru),
        ("text_ky", "# Саясат\n\n<script>alert(1)</script>\n"),
        ("action", "publish"),
    ];
    let (status, page, _) = admin
        .post("/admin/documents", "/admin/documents", &refused)
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("пишите только в Markdown"));
    assert!(page.contains("Вторая редакция"), "the Russian text is kept");
    let (status, _, _) = admin
        .post(
            "/admin/documents",
            "/admin/documents",
            &[
                ("document", "privacy-policy"),
                ("effective_from", "завтра"),
                ("text_ru", ru),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(status, 422, "no moment");
    let library = app.payments.documents.library();
    assert_eq!(
        library
            .records(DocumentKind::PrivacyPolicy)
            .map(|r| r.edition)
            .max(),
        Some(1)
    );

    let en = "# Privacy policy\n\nSecond edition.\n";
    let publish = [
        ("document", "privacy-policy"),
        ("effective_from", later.as_str()),
        ("text_ru", ru),
        ("text_en", en),
        ("action", "publish"),
    ];
    let (status, _, location) = admin
        .post("/admin/documents", "/admin/documents", &publish)
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/documents?published=2"))
    );
    let library = app.payments.documents.library();
    let mut second: Vec<String> = library
        .records(DocumentKind::PrivacyPolicy)
        .filter(|r| r.edition == 2)
        .map(|r| format!("{} {}", r.language, r.published_by))
        .collect();
    second.sort();
    assert_eq!(second, ["en lawyer@infocom.kg", "ru lawyer@infocom.kg"]);
    // In force from its moment.
    let mut shown = false;
    for _ in 0..100 {
        let (_, page) = app.get_html("/documents/privacy-policy").await;
        if page.contains("Вторая редакция") {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(shown, "the public page shows the new edition");
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            action: Some("edition_published".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_email.as_deref(), Some("lawyer@infocom.kg"));
}
