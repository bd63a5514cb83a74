//! The agency API as a government office's developer uses it, on SQLite
//! and PostgreSQL: issuing, reading, listing and cancelling requests;
//! keys that are wrong, revoked or of another agency; idempotent retries,
//! mismatches and races; rate limits; problem reports.

use crate::helpers::{APPROVED_CARD, TIMEOUT_CARD, call_pay, is_paid, new_key, pay_body};
use crate::receiver::{agency, new_request, spawn};
use reqwest::Method;
use server::agencies::admin;

const REQUESTS: &str = "/api/v1/payment-requests";

async fn issue_read_list_cancel(postgres: bool) {
    let app = spawn(postgres).await;
    let office = agency(&app, None).await;
    let (status, headers, created) = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            None,
            Some(&new_request("PSP-1")),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(headers["location"], format!("{REQUESTS}/{code}").as_str());
    assert_eq!(code.len(), 16);
    assert!(code.starts_with("11"));
    assert!(domain::PaymentCode::parse(&code).is_ok());
    assert_eq!(created["status"], "awaiting_payment");
    assert_eq!(created["amount"], 150_000);
    assert_eq!(created["pay_url"], format!("{}/pay/{code}", app.address));
    // The citizen finds it by its code.
    let (status, page) = app.get_html(&format!("/pay/{code}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("А****в Б. А."),
        "the applicant is shown, masked"
    );

    let (status, _, read) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}/{code}"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read, created);

    for n in 2..=5 {
        app.issue(&office, &format!("PSP-{n}")).await;
    }
    let (status, _, page) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}?limit=2"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut seen: Vec<String> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let (_, _, page) = app
            .api(
                Method::GET,
                &format!("{REQUESTS}?limit=2&cursor={next}"),
                Some(&office.key),
                None,
                None,
            )
            .await;
        seen.extend(
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reference"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["PSP-5", "PSP-4", "PSP-3", "PSP-2", "PSP-1"],
        "newest first, each once"
    );
    let (_, _, found) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}?reference=PSP-3"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(found["results"].as_array().unwrap().len(), 1);

    let (status, _, cancelled) = app
        .api(
            Method::POST,
            &format!("{REQUESTS}/{code}/cancel"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let body = pay_body(&code, &new_key(), APPROVED_CARD);
    assert!(
        !is_paid(&call_pay(&app, &body).await),
        "a cancelled request is not payable"
    );
    let (_, _, events) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}/{code}/events"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    let kinds: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        kinds,
        ["payment_request.created", "payment_request.cancelled"]
    );
    let (_, _, filtered) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}?status=cancelled"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(filtered["results"][0]["code"], code);
}

#[tokio::test]
async fn issue_read_list_cancel_on_sqlite() {
    issue_read_list_cancel(false).await;
}

#[tokio::test]
async fn issue_read_list_cancel_on_postgres() {
    issue_read_list_cancel(true).await;
}

async fn keys_see_only_their_own(postgres: bool) {
    let app = spawn(postgres).await;
    let office = agency(&app, None).await;
    let other = agency(&app, None).await;
    let code = app.issue(&office, "MINE").await;
    let path = format!("{REQUESTS}/{code}");
    let not_found = app
        .api(
            Method::GET,
            "/api/v1/payment-requests/1100000000000000",
            Some(&office.key),
            None,
            None,
        )
        .await;
    let theirs = app
        .api(Method::GET, &path, Some(&other.key), None, None)
        .await;
    assert_eq!(theirs.0, 404);
    assert_eq!(
        theirs.2, not_found.2,
        "another agency's code is answered as no code at all"
    );
    assert_eq!(theirs.1["content-type"], "application/problem+json");
    let cancel = app
        .api(
            Method::POST,
            &format!("{path}/cancel"),
            Some(&other.key),
            None,
            None,
        )
        .await;
    assert_eq!(cancel.0, 404);
    let (_, _, list) = app
        .api(Method::GET, REQUESTS, Some(&other.key), None, None)
        .await;
    assert_eq!(list["results"].as_array().unwrap().len(), 0);

    for key in [
        None,
        Some("tlm_test_wrong"),
        Some("tlm_test_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let (status, headers, body) = app.api(Method::GET, &path, key, None, None).await;
        assert_eq!(status, 401, "{key:?}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["type"], "/api/v1/docs#problem-unauthorised");
    }
    let live = office.key.replace("tlm_test_", "tlm_live_");
    assert_eq!(
        app.api(Method::GET, &path, Some(&live), None, None).await.0,
        401
    );

    let store = app.payments.store.as_ref();
    assert!(
        admin::revoke_key(store, &office.key[..17], chrono::Utc::now())
            .await
            .unwrap()
    );
    let (status, _, body) = app
        .api(Method::GET, &path, Some(&office.key), None, None)
        .await;
    assert_eq!(status, 401, "a revoked key stops at once");
    assert!(body["detail"].as_str().unwrap().contains("revoked"));
    let keys = store.api_keys(Some(&office.id)).await.unwrap();
    assert!(keys[0].revoked_at.is_some());
    assert!(
        app.database_values()
            .await
            .iter()
            .all(|v| !v.contains(&office.key[9..])),
        "keys are stored only hashed"
    );
}

#[tokio::test]
async fn keys_see_only_their_own_on_sqlite() {
    keys_see_only_their_own(false).await;
}

#[tokio::test]
async fn keys_see_only_their_own_on_postgres() {
    keys_see_only_their_own(true).await;
}

async fn idempotent_posts(postgres: bool) {
    let app = spawn(postgres).await;
    let office = agency(&app, None).await;
    let body = new_request("IDEM-1");
    let first = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            Some("k-1"),
            Some(&body),
        )
        .await;
    assert_eq!(first.0, 201);
    let again = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            Some("k-1"),
            Some(&body),
        )
        .await;
    assert_eq!(
        (again.0, &again.2),
        (201, &first.2),
        "the first answer, replayed"
    );
    assert_eq!(again.1["idempotent-replayed"], "true");
    let other = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            Some("k-1"),
            Some(&new_request("IDEM-2")),
        )
        .await;
    assert_eq!(other.0, 422);
    assert_eq!(
        other.2["type"],
        "/api/v1/docs#problem-idempotency-key-reused"
    );
    // The same key is another agency's own.
    let second = agency(&app, None).await;
    let theirs = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&second.key),
            Some("k-1"),
            Some(&body),
        )
        .await;
    assert_eq!(theirs.0, 201);
    assert_ne!(theirs.2["code"], first.2["code"]);
    let bad = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            Some(&"x".repeat(256)),
            Some(&body),
        )
        .await;
    assert_eq!(bad.0, 400);

    // Fifty at once with one key: one request, fifty identical answers.
    let racing = new_request("RACE");
    let answers = futures_util::future::join_all((0..50).map(|_| {
        app.api(
            Method::POST,
            REQUESTS,
            Some(&office.key),
            Some("race-key"),
            Some(&racing),
        )
    }))
    .await;
    let codes: std::collections::HashSet<_> = answers
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(*status, 201, "{body}");
            body["code"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
    let (_, _, list) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}?reference=RACE"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(list["results"].as_array().unwrap().len(), 1);

    let code = first.2["code"].as_str().unwrap();
    let cancel = format!("{REQUESTS}/{code}/cancel");
    let once = app
        .api(Method::POST, &cancel, Some(&office.key), Some("c-1"), None)
        .await;
    let twice = app
        .api(Method::POST, &cancel, Some(&office.key), Some("c-1"), None)
        .await;
    assert_eq!((once.0, twice.0), (200, 200));
    assert_eq!(once.2, twice.2);
    assert_eq!(twice.1["idempotent-replayed"], "true");
}

#[tokio::test]
async fn idempotent_posts_on_sqlite() {
    idempotent_posts(false).await;
}

#[tokio::test]
async fn idempotent_posts_on_postgres() {
    idempotent_posts(true).await;
}

#[tokio::test]
async fn cancelling_is_refused_once_paid_or_while_a_payment_is_under_way() {
    let app = spawn(false).await;
    let office = agency(&app, None).await;
    let paid = app.issue(&office, "PAID").await;
    assert!(is_paid(
        &call_pay(&app, &pay_body(&paid, &new_key(), APPROVED_CARD)).await
    ));
    let (status, _, body) = app
        .api(
            Method::POST,
            &format!("{REQUESTS}/{paid}/cancel"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["type"], "/api/v1/docs#problem-already-paid");
    let (_, _, read) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}/{paid}"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(read["status"], "paid");
    assert!(read["receipt_number"].as_i64().is_some());
    assert!(read["paid_at"].is_string());

    // The acquirer does not answer: the payment's outcome is unknown.
    let pending = app.issue(&office, "PENDING").await;
    let _ = call_pay(&app, &pay_body(&pending, &new_key(), TIMEOUT_CARD)).await;
    let (status, _, body) = app
        .api(
            Method::POST,
            &format!("{REQUESTS}/{pending}/cancel"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "/api/v1/docs#problem-payment-in-progress");
}

#[tokio::test]
async fn bad_input_is_a_problem_report_naming_the_field() {
    let app = spawn(false).await;
    let office = agency(&app, None).await;
    let mut body = new_request("BAD");
    body["amount"] = serde_json::json!(0);
    body["expires_at"] = serde_json::json!("2020-01-01T00:00:00Z");
    let (status, headers, problem) = app
        .api(Method::POST, REQUESTS, Some(&office.key), None, Some(&body))
        .await;
    assert_eq!(status, 422);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(problem["field"], "amount");
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, ["amount", "expires_at"]);
    let response = app
        .client
        .post(app.url(REQUESTS))
        .bearer_auth(&office.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let (status, _, _) = app
        .api(Method::DELETE, REQUESTS, Some(&office.key), None, None)
        .await;
    assert_eq!(status, 405);
    let (status, headers, _) = app
        .api(
            Method::GET,
            "/api/v1/nothing",
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, &headers["content-type"]),
        (404, &"application/problem+json".parse().unwrap())
    );
}

#[tokio::test]
async fn each_key_is_paced_with_rate_limit_headers() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let mut config = crate::receiver::agency_config(&url, &data_dir.path().display().to_string());
    config.api.posts_per_second = 3;
    let app = crate::helpers::TestApp::spawn_with_config(data_dir, config).await;
    let office = agency(&app, None).await;
    let other = agency(&app, None).await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        let (status, headers, _) = app
            .api(
                Method::POST,
                REQUESTS,
                Some(&office.key),
                None,
                Some(&new_request(&format!("R{n}"))),
            )
            .await;
        assert_eq!(headers["ratelimit-policy"], "\"post\";q=3;w=1");
        assert!(headers.contains_key("ratelimit"));
        if status == 429 {
            assert!(headers.contains_key("retry-after"));
        }
        statuses.push(status);
    }
    assert_eq!(&statuses[..3], [201, 201, 201]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    let (status, _, _) = app
        .api(
            Method::POST,
            REQUESTS,
            Some(&other.key),
            None,
            Some(&new_request("O")),
        )
        .await;
    assert_eq!(status, 201, "another key has its own budget");
    let (status, _, _) = app
        .api(Method::GET, REQUESTS, Some(&office.key), None, None)
        .await;
    assert_eq!(status, 200, "reads have their own budget");
}

#[tokio::test]
async fn the_openapi_document_and_the_reference_page_are_served() {
    let app = spawn(false).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let (status, page) = app.get_html("/api/v1/docs").await;
    assert_eq!(status, 200);
    for needle in [
        "POST /api/v1/payment-requests",
        "Idempotency-Key",
        "webhook-signature",
        "problem-already-paid",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
}

/// A payment that began on a snapshot still showing the request open, in
/// the instant a cancel committed, and then succeeded: the charge is owed
/// back, recorded in the commit that records the success.
async fn a_payment_that_slips_past_a_cancel_is_refunded(postgres: bool) {
    use server::storage::{Change, NewPayment, Subjects};
    use sqlx::Connection;
    let app = spawn(postgres).await;
    let office = agency(&app, None).await;
    let code = app.issue(&office, "SLIPPED").await;
    let parsed = domain::PaymentCode::parse(&code).unwrap();
    let store = app.payments.store.clone();
    let id = server::payments::new_payment_id();
    let key = server::payments::new_idempotency_key();
    let now = chrono::Utc::now();
    store
        .begin_payment(NewPayment {
            id: &id,
            idempotency_key: &key,
            code: &parsed,
            brand: domain::CardBrand::Visa,
            first_six: "411111",
            last_four: "1111",
            cardholder: "AIBEK ASANOV",
            privacy_policy_edition: 1,
            user_agreement_edition: 1,
            at: now,
            subjects: Subjects::default(),
        })
        .await
        .unwrap();
    // The cancel that raced it (the API refuses one while it is live).
    let cancel = format!("UPDATE payment_requests SET status = 'cancelled' WHERE code = '{code}'");
    if postgres {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(&cancel).execute(&mut db).await.unwrap();
    } else {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(&cancel).execute(&mut db).await.unwrap();
    }
    let change = Change {
        reason: "approved",
        reference: Some("ref-1"),
        ..Change::default()
    };
    store
        .advance(
            &id,
            domain::PaymentState::Authorising,
            domain::PaymentState::Succeeded,
            change,
            now,
        )
        .await
        .unwrap();
    let refunds = store.refunds_of(&id).await.unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].cause, domain::RefundCause::ChargeOnClosedPayment);
    assert_eq!(refunds[0].amount.tyiyn(), 150_000);
    let (_, _, read) = app
        .api(
            Method::GET,
            &format!("{REQUESTS}/{code}"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(read["status"], "cancelled");
}

#[tokio::test]
async fn a_payment_that_slips_past_a_cancel_is_refunded_on_sqlite() {
    a_payment_that_slips_past_a_cancel_is_refunded(false).await;
}

#[tokio::test]
async fn a_payment_that_slips_past_a_cancel_is_refunded_on_postgres() {
    a_payment_that_slips_past_a_cancel_is_refunded(true).await;
}
