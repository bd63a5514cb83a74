//! Agencies in the back office, on SQLite and PostgreSQL: an admin adds an
//! agency (its signing secret shown once), creates a labelled API key
//! (shown once) that then works, revokes it (and it stops working), sets
//! the webhook endpoint, and sends a failed delivery again once the
//! agency's server answers; bad forms come back with what was wrong.

use crate::helpers::TestApp;
use crate::helpers::{APPROVED_CARD, call_pay, is_paid, new_key, pay_body};
use crate::receiver::{Receiver, agency_config, new_request};
use crate::staff::account;
use domain::staff::Role;
use reqwest::Method;
use std::time::Duration;

/// The text between `start` and the next `<` in `html`.
fn shown(html: &str, start: &str) -> Option<String> {
    let at = html.find(start)?;
    let end = html[at..].find('<')?;
    Some(html[at..at + end].to_owned())
}

async fn an_admin_manages_an_agency(postgres: bool) {
    // Deliveries given up on after a second: the page lists a dead one.
    let data_dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let mut config = agency_config(&url, &data_dir.path().display().to_string());
    config.api.webhooks.give_up_after = Duration::from_secs(1);
    let app = TestApp::spawn_with_config(data_dir, config).await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let finance = account(&app, "finance@infocom.kg", Role::Finance).await;
    finance.sign_in().await;
    let (status, _, _) = finance.get("/admin/agencies").await;
    assert_eq!(status, 403);

    let admin = account(&app, "admin@infocom.kg", Role::Admin).await;
    admin.sign_in().await;
    let (status, page, _) = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[("name", " "), ("webhook_url", "ftp://x")],
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        page.matches("field-error").count(),
        3,
        "name, services, URL"
    );
    let (status, page, _) = admin
        .post(
            "/admin/agencies",
            "/admin/agencies",
            &[
                ("name", "ГРС при КМ КР"),
                ("services", "passport"),
                ("services", "driving_licence"),
                ("webhook_url", &receiver.url),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page:.2000}");
    let secret = shown(&page, "whsec_").expect("the secret shown once");
    let agencies = app.payments.store.agencies().await.unwrap();
    let agency = agencies
        .iter()
        .find(|a| a.name == "ГРС при КМ КР")
        .expect("added");
    assert_eq!(agency.services.len(), 2);
    assert_eq!(
        agency.webhook.as_ref().map(|w| w.secret.as_str()),
        Some(&*secret)
    );
    let (_, page, _) = admin.get("/admin/agencies").await;
    assert!(
        page.contains("ГРС при КМ КР") && !page.contains(&secret),
        "once"
    );

    // A key, labelled, shown once; it works until revoked.
    let base = format!("/admin/agencies/{}", agency.id);
    let (status, page, _) = admin
        .post(&base, &format!("{base}/keys"), &[("label", "Касса ЦОН")])
        .await;
    assert_eq!(status, 200);
    let key = shown(&page, "tlm_test_").expect("the key shown once");
    assert!(page.contains("Касса ЦОН"));
    let (_, page, _) = admin.get(&base).await;
    assert!(!page.contains(&key), "shown once only");
    let request = new_request("DESK-1");
    let (status, _, body) = app
        .api(
            Method::POST,
            "/api/v1/payment-requests",
            Some(&key),
            Some("desk-1"),
            Some(&request),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let code = body["code"].as_str().unwrap();
    let paid = call_pay(&app, &pay_body(code, &new_key(), APPROVED_CARD)).await;
    assert!(is_paid(&paid), "{paid:?}");

    // The receiver fails until the delivery is given up; sent again.
    let mut event = None;
    for _ in 0..100 {
        let (_, page, _) = admin.get(&base).await;
        if let Some(at) = page.find("/redeliver")
            && page.contains("доставка прекращена")
        {
            let start = page[..at].rfind("/events/").unwrap() + "/events/".len();
            event = Some(page[start..at].to_owned());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = event.expect("the failing delivery is listed");
    receiver.answer(200);
    let path = format!("{base}/events/{event}/redeliver");
    let (status, _, location) = admin.post(&base, &path, &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some(&*base)));
    let mut state = None;
    for _ in 0..100 {
        state = app.payments.store.delivery_state(&event).await.unwrap();
        if state.as_deref() == Some("delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        state.as_deref(),
        Some("delivered"),
        "sent again and delivered"
    );
    let (_, page, _) = admin.get(&base).await;
    assert!(!page.contains("/redeliver"), "no longer failing");

    let keys = app.payments.store.api_keys(Some(&agency.id)).await.unwrap();
    let path = format!("{base}/keys/{}/revoke", keys[0].id);
    let (status, _, _) = admin.post(&base, &path, &[]).await;
    assert_eq!(status, 303);
    let (status, _, _) = app
        .api(
            Method::GET,
            "/api/v1/payment-requests",
            Some(&key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 401, "a revoked key no longer works");

    // A bad endpoint is refused with the address kept.
    let (status, page, _) = admin
        .post(
            &base,
            &format!("{base}/webhook"),
            &[("webhook_url", "not a url")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains(r#"value="not a url""#));
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    for action in [
        "agency_created",
        "api_key_created",
        "event_redelivered",
        "api_key_revoked",
    ] {
        assert!(
            entries.iter().any(|e| e.action == action),
            "{action} audited"
        );
    }
    assert!(
        entries
            .iter()
            .all(|e| !e.after.as_deref().unwrap_or_default().contains(&key)
                && !e.after.as_deref().unwrap_or_default().contains(&secret)),
        "no secret in the audit log"
    );
}

#[tokio::test]
async fn an_admin_manages_an_agency_on_sqlite() {
    an_admin_manages_an_agency(false).await;
}

#[tokio::test]
async fn an_admin_manages_an_agency_on_postgres() {
    an_admin_manages_an_agency(true).await;
}
