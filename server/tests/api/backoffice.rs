//! The back office as the operator's staff use it: signing in with a
//! password and a one-time code (enrolling at the first sign-in), wrong
//! codes, replays, lockouts and throttles refused with clear messages,
//! sessions that end; finding a payment by its card's last four, its page,
//! the CSV export; and an audit log nobody can change. SQLite and PostgreSQL.

use crate::helpers::{APPROVED_CARD, TestApp, call_pay, is_paid, new_key, pay_body};
use crate::staff::{PASSWORD, account, browser_client, csrf_in, desk, now_code};
use domain::staff::Role;
use server::staff::Actor;

async fn spawn(postgres: bool) -> TestApp {
    if postgres {
        TestApp::spawn_postgres().await
    } else {
        TestApp::spawn().await
    }
}

async fn spawn_with(postgres: bool, staff: server::config::StaffSettings) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let mut config = crate::helpers::test_config(
        &url,
        server::config::ProcessorKind::Sandbox,
        &data_dir.path().display().to_string(),
    );
    config.staff = staff;
    TestApp::spawn_with_config(data_dir, config).await
}

async fn wrong_codes_replays_and_lockouts_are_refused(postgres: bool) {
    // More attempts a minute than the default allows one account: this
    // walks every refusal in a row.
    let app = spawn_with(
        postgres,
        server::config::StaffSettings {
            attempts_per_account: 100,
            ..Default::default()
        },
    )
    .await;
    let clerk = account(&app, "Clerk@Infocom.kg", Role::Support).await;
    assert_eq!(clerk.email, "Clerk@Infocom.kg");
    // A wrong password: one message for a wrong email or password, the
    // email kept, the password not sent back.
    let (status, page, _) = clerk.password("not the password").await;
    assert_eq!(status, 422);
    assert!(
        page.contains("wrong") || page.contains("Неверная"),
        "{page:.400}"
    );
    assert!(
        page.contains(r#"value="Clerk@Infocom.kg""#),
        "the email is kept"
    );
    assert!(!page.contains("not the password"));
    assert!(page.contains(r#"autocomplete="current-password""#));
    // The right password, then a wrong code.
    let (status, _, location) = clerk.password(PASSWORD).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/login/code"))
    );
    let (status, page, _) = clerk
        .post(
            "/admin/login/code",
            "/admin/login/code",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(status, 422, "{page:.300}");
    assert!(page.contains(r#"autocomplete="one-time-code""#));
    // The right code signs in; the same code again is a replay.
    let code = now_code(&clerk.secret);
    let (status, _, location) = clerk
        .post("/admin/login/code", "/admin/login/code", &[("code", &code)])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/payments"))
    );
    let other = crate::staff::Browser {
        client: browser_client(),
        ..clerk
    };
    let (status, _, _) = other.password(PASSWORD).await;
    assert_eq!(status, 303);
    let (status, _, _) = other
        .post("/admin/login/code", "/admin/login/code", &[("code", &code)])
        .await;
    assert_eq!(status, 422, "a code is good once");
    // Failures in a row (the sign-in ended the first two's run; the replay
    // began a new one) lock the account at the fifth, by default: then
    // even the right password is refused, with the time it opens again.
    for _ in 0..3 {
        let (status, _, _) = other.password("still not it").await;
        assert_eq!(status, 422);
    }
    let (status, page, _) = other.password("still not it").await;
    assert_eq!(status, 403, "{page:.300}");
    let (status, page, _) = other.password(PASSWORD).await;
    assert_eq!(status, 403);
    assert!(
        page.contains("locked") || page.contains("заблокирована"),
        "{page:.400}"
    );
    // An admin's reset unlocks it and asks for a new second factor.
    let staff = app
        .payments
        .store
        .staff_by_email("clerk@infocom.kg")
        .await
        .unwrap()
        .unwrap();
    assert!(staff.locked_until.is_some());
    let reset = desk(&app)
        .reset(&Actor::default(), &staff.id, None)
        .await
        .unwrap();
    let password = reset.password.expect("a new password, shown once");
    let again = crate::staff::Browser {
        client: browser_client(),
        ..other
    };
    let (status, _, location) = again.password(&password).await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/login/code"))
    );
    let (_, page, _) = again.get("/admin/login/code").await;
    assert!(page.contains("<svg"), "a new QR code to enrol");
    // The audit log has each attempt.
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let count = |action: &str| entries.iter().filter(|e| e.action == action).count();
    assert_eq!(count("sign_in"), 1);
    assert_eq!(count("sign_in_failed"), 7, "{entries:?}");
    assert!(count("sign_in_locked") >= 1);
    assert_eq!(count("user_reset"), 1);
    assert!(entries.iter().all(|e| !format!("{e:?}").contains(PASSWORD)));
}

#[tokio::test]
async fn sqlite_wrong_codes_replays_and_lockouts_are_refused() {
    wrong_codes_replays_and_lockouts_are_refused(false).await;
}

#[tokio::test]
async fn postgres_wrong_codes_replays_and_lockouts_are_refused() {
    wrong_codes_replays_and_lockouts_are_refused(true).await;
}

#[tokio::test]
async fn an_account_an_admin_adds_enrols_its_authenticator_at_the_first_sign_in() {
    let app = spawn(false).await;
    let admin = account(&app, "admin@infocom.kg", Role::Admin).await;
    admin.sign_in().await;
    let (status, page, _) = admin
        .post(
            "/admin/users",
            "/admin/users",
            &[("email", "not an email"), ("role", "finance")],
        )
        .await;
    assert_eq!(status, 422, "a bad email is refused with the form kept");
    assert!(page.contains(r#"value="not an email""#));
    let (status, page, _) = admin
        .post(
            "/admin/users",
            "/admin/users",
            &[("email", "new.clerk@infocom.kg"), ("role", "finance")],
        )
        .await;
    assert_eq!(status, 200);
    let at = page.find(r#"id="new-password">"#).unwrap() + 18;
    let password = page[at..].split('<').next().unwrap().to_owned();
    assert_eq!(password.len(), 20);

    let newcomer = crate::staff::Browser {
        client: browser_client(),
        base: app.address.clone(),
        email: "new.clerk@infocom.kg".into(),
        secret: String::new(),
        id: String::new(),
    };
    let (status, _, _) = newcomer.password(&password).await;
    assert_eq!(status, 303);
    let (_, page, _) = newcomer.get("/admin/login/code").await;
    assert!(page.contains("<svg"), "the QR code of the enrolment");
    let at = page.find(r#"id="totp-key">"#).unwrap() + 14;
    let key: String = page[at..].split('<').next().unwrap().replace(' ', "");
    let code = now_code(&key);
    let (status, _, location) = newcomer
        .post("/admin/login/code", "/admin/login/code", &[("code", &code)])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/payments"))
    );
    let (status, page, _) = newcomer.get("/admin/payments").await;
    assert_eq!(status, 200);
    assert!(page.contains("new.clerk@infocom.kg"));
    // The secret is now the account's: the next sign-in asks only the code.
    let stored = app
        .payments
        .store
        .staff_by_email("new.clerk@infocom.kg")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.totp_secret.as_deref(), Some(key.as_str()));
    // A role change ends the person's sessions.
    let (status, _, _) = admin
        .post(
            &format!("/admin/users/{}", stored.id),
            &format!("/admin/users/{}/role", stored.id),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, location) = newcomer.get("/admin/payments").await;
    assert_eq!((status, location.as_deref()), (303, Some("/admin/login")));
}

#[tokio::test]
async fn sessions_end_when_idle_or_old_and_sign_ins_are_throttled_per_address() {
    let app = spawn_with(
        false,
        server::config::StaffSettings {
            idle_timeout: std::time::Duration::from_secs(2),
            attempts_per_address: 4,
            ..Default::default()
        },
    )
    .await;
    let clerk = account(&app, "clerk@infocom.kg", Role::Viewer).await;
    clerk.sign_in().await; // attempts 1 and 2
    let (status, _, _) = clerk.get("/admin/payments").await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let (status, _, location) = clerk.get("/admin/payments").await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/login")),
        "idle too long"
    );
    // A session in use still ends its absolute time after the sign-in.
    let strict = spawn_with(
        false,
        server::config::StaffSettings {
            absolute_timeout: std::time::Duration::from_secs(3),
            ..Default::default()
        },
    )
    .await;
    let busy = account(&strict, "busy@infocom.kg", Role::Viewer).await;
    busy.sign_in().await;
    for _ in 0..3 {
        let (status, _, _) = busy.get("/admin/payments").await;
        assert_eq!(status, 200);
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let (status, _, location) = busy.get("/admin/payments").await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/admin/login")),
        "past 3 s"
    );
    let stranger = account(&app, "stranger@infocom.kg", Role::Viewer).await;
    let (status, _, _) = stranger.password("wrong password!").await; // 3
    assert_eq!(status, 422);
    let (status, _, _) = stranger.password("wrong password!").await; // 4
    assert_eq!(status, 422);
    let (status, page, _) = stranger.password(PASSWORD).await;
    assert_eq!(status, 429, "the address's fifth attempt in a minute");
    assert!(
        page.contains("Too many") || page.contains("Слишком много"),
        "{page:.300}"
    );
}

async fn find_a_payment_by_its_last_four_and_export_the_list(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = crate::helpers::payable_codes(app.payments.store.as_ref(), 7200, 3).await;
    for (code, card) in codes
        .iter()
        .zip([APPROVED_CARD, APPROVED_CARD, "5555 5555 5555 4444"])
    {
        let paid = call_pay(&app, &pay_body(code, &new_key(), card)).await;
        assert!(is_paid(&paid), "{paid:?}");
    }
    let finance = account(&app, "finance@infocom.kg", Role::Finance).await;
    finance.sign_in().await;
    let (status, page, _) = finance.get("/admin/payments?last4=4444").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"id="sum-count">1<"#),
        "one payment: {page:.2000}"
    );
    assert!(page.contains("555555******4444"));
    assert!(!page.contains("5555555555554444"));
    let (_, page, _) = finance.get("/admin/payments?service=meken_card").await;
    assert!(page.contains(r#"id="sum-count">3<"#), "by service");
    let (_, page, _) = finance.get("/admin/payments?service=passport").await;
    assert!(
        page.contains(r#"id="sum-count">0<"#),
        "none of another service"
    );
    // Keyset pages: each payment once, newest first.
    let store = &app.payments.store;
    let filter = server::storage::PaymentFilter::default();
    let first = store.search_payments(&filter, None, 2).await.unwrap();
    let after = server::storage::PageAfter {
        created_at: first[1].created_at,
        receipt: first[1].receipt,
    };
    let rest = store
        .search_payments(&filter, Some(after), 2)
        .await
        .unwrap();
    let receipts: Vec<i64> = first.iter().chain(&rest).map(|p| p.receipt).collect();
    assert_eq!(receipts.len(), 3, "{receipts:?}");
    assert!(receipts.windows(2).all(|w| w[0] > w[1]), "{receipts:?}");
    // A card number pasted into a filter is refused, not searched, not shown.
    let (status, page, _) = finance
        .get("/admin/payments?code=4111111111111111&last4=5555555555554444")
        .await;
    assert_eq!(status, 200);
    assert!(!page.contains("4111111111111111") && !page.contains("5555555555554444"));
    assert_eq!(
        page.matches(r#"aria-invalid="true""#).count(),
        2,
        "both fields"
    );
    let (status, page, _) = finance.get("/admin/payments?last4=12a4&min=abc").await;
    assert_eq!(status, 200, "bad filters are explained, not a failure");
    assert!(page.contains(r#"value="12a4""#) && page.contains(r#"aria-invalid="true""#));
    // The payment's page, found by following the list.
    let (_, page, _) = finance.get("/admin/payments?last4=4444").await;
    let rows = &page[page.find("<tbody>").unwrap()..];
    let at = rows.find("href=\"/admin/payments/").unwrap() + 6;
    let link = rows[at..].split('"').next().unwrap().to_owned();
    let (status, detail, _) = finance.get(&link).await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("Асанов Бакыт"),
        "finance sees the full name"
    );
    assert!(detail.contains("Mastercard 555555******4444"));
    // The export of the filtered list, with the filter in its name.
    let response = finance
        .client
        .get(format!(
            "{}/admin/payments/export?status=succeeded&last4=1111",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("payments_status-succeeded_last4-1111.csv"),
        "{disposition}"
    );
    let csv = response.text().await.unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and two payments: {csv}");
    assert!(csv.contains("411111") && csv.contains("1500.00"));
    assert!(!csv.contains("4111111111111111"));
    // Browsers ask for it compressed: the stream is compressed to its end.
    let response = finance
        .client
        .get(format!("{}/admin/payments/export?last4=1111", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let gzipped = response.bytes().await.expect("the whole compressed body");
    assert_eq!(&gzipped[..2], &[0x1f, 0x8b]);
    assert!(gzipped.len() > 100);
    // Viewing and exporting are audited.
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let (status, _, _) = finance
        .get("/admin/payments/export?code=4111111111111111")
        .await;
    assert_eq!(status, 200);
    assert!(entries.iter().any(|e| e.action == "payment_viewed"));
    assert!(entries.iter().any(|e| e.action == "payments_exported"
        && e.after.as_deref().is_some_and(|a| a.contains("last4=1111"))));
    app.assert_no_card_data_stored().await;
}

#[tokio::test]
async fn sqlite_find_a_payment_by_its_last_four_and_export_the_list() {
    find_a_payment_by_its_last_four_and_export_the_list(false).await;
}

#[tokio::test]
async fn postgres_find_a_payment_by_its_last_four_and_export_the_list() {
    find_a_payment_by_its_last_four_and_export_the_list(true).await;
}

async fn the_audit_log_cannot_be_changed_or_deleted(postgres: bool) {
    let app = spawn(postgres).await;
    let admin = account(&app, "admin@infocom.kg", Role::Admin).await;
    admin.sign_in().await;
    let (status, page, _) = admin.get("/admin/audit?action=sign_in").await;
    assert_eq!(status, 200);
    assert!(page.contains("admin@infocom.kg"));
    assert!(csrf_in(&page).is_some());
    // Not even the database's own user can rewrite it.
    let refused = if postgres {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        let update = sqlx::query("UPDATE audit_log SET action = 'nothing'")
            .execute(&pool)
            .await;
        let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
        update.is_err() && delete.is_err()
    } else {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        let update = sqlx::query("UPDATE audit_log SET action = 'nothing'")
            .execute(&pool)
            .await;
        let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
        update.is_err() && delete.is_err()
    };
    assert!(refused, "the audit log is append-only");
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "sign_in"));
}

#[tokio::test]
async fn sqlite_the_audit_log_cannot_be_changed_or_deleted() {
    the_audit_log_cannot_be_changed_or_deleted(false).await;
}

#[tokio::test]
async fn postgres_the_audit_log_cannot_be_changed_or_deleted() {
    the_audit_log_cannot_be_changed_or_deleted(true).await;
}

#[tokio::test]
async fn support_reads_the_feedback_inbox_and_marks_a_message_handled_once() {
    let app = spawn(false).await;
    let id = crate::backoffice_access::feedback_message(&app).await;
    let support = account(&app, "support@infocom.kg", Role::Support).await;
    support.sign_in().await;
    let (status, page, _) = support.get("/admin/feedback").await;
    assert_eq!(status, 200);
    assert!(page.contains("Оплатил дважды"), "{page:.2000}");
    let (status, page, _) = support.get(&format!("/admin/feedback/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("citizen@example.kg") && page.contains("TLM-00000001"));
    let path = format!("/admin/feedback/{id}/handled");
    let (status, page, _) = support
        .post(&format!("/admin/feedback/{id}"), &path, &[("note", "  ")])
        .await;
    assert_eq!(status, 422, "an empty note is refused");
    assert!(page.contains(r#"name="note""#));
    let (status, _, location) = support
        .post(
            &format!("/admin/feedback/{id}"),
            &path,
            &[("note", "Вернули второй платёж")],
        )
        .await;
    assert_eq!(
        (status, location),
        (303, Some(format!("/admin/feedback/{id}")))
    );
    let (_, page, _) = support.get(&format!("/admin/feedback/{id}")).await;
    assert!(page.contains("Вернули второй платёж") && page.contains("support@infocom.kg"));
    let (_, page, _) = support.get("/admin/feedback").await;
    assert!(
        !page.contains("Оплатил дважды"),
        "no longer among the open ones"
    );
    let (_, page, _) = support.get("/admin/feedback?all=1").await;
    assert!(page.contains("Оплатил дважды"));
    // A second mark changes nothing and says so.
    let (status, _, _) = support
        .post_with(
            &crate::staff::csrf_in(&page).unwrap(),
            &path,
            &[("note", "again")],
        )
        .await;
    assert_eq!(status, 422);
    let item = app.payments.store.feedback_item(id).await.unwrap().unwrap();
    assert_eq!(item.handled_note.as_deref(), Some("Вернули второй платёж"));
    let (status, _, _) = support.get("/admin/feedback/not-a-number").await;
    assert_eq!(status, 404);
}
