//! Card testing (OWASP OAT-001): the limits on attempts per client, the
//! one decline message, the throttle on lookups and their constant time,
//! and the decline-ratio tripwire, with clients told apart by the proxy's
//! `X-Forwarded-For` as behind a load balancer.

use crate::helpers::*;
use server::abuse::{AbuseLimits, Limit};
use server::config::ProcessorKind;
use std::time::{Duration, Instant};

const LOOSE: Limit = Limit {
    attempts: 1000,
    declines: 1000,
};

async fn guarded(limits: AbuseLimits) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(dir.path());
    guarded_on(dir, &url, limits).await
}

/// A server with `limits` on the database at `url`, behind a proxy.
async fn guarded_on(dir: tempfile::TempDir, url: &str, limits: AbuseLimits) -> TestApp {
    let mut config = test_config(
        url,
        ProcessorKind::Sandbox,
        &dir.path().display().to_string(),
    );
    config.abuse = limits;
    config.behind_proxy = true;
    TestApp::spawn_with_config(dir, config).await
}

/// A card the sandbox declines as lost or stolen: 4000 0099 …, Luhn-valid.
pub fn stolen_card(n: u32) -> String {
    let body = format!("40000099{n:07}");
    (0..10)
        .map(|check| format!("{body}{check}"))
        .find(|number| domain::luhn_valid(number))
        .unwrap()
}

async fn pay_from(app: &TestApp, address: &str, code: &str, number: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/pay"))
        .header("x-forwarded-for", address)
        .json(&pay_body(code, &new_key(), number))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_over_its_decline_limit_is_refused_before_the_acquirer() {
    let app = guarded(AbuseLimits {
        per_client: Limit {
            attempts: 100,
            declines: 3,
        },
        per_card: LOOSE,
        per_code: LOOSE,
        tripwire_decline_percent: 0,
        ..AbuseLimits::default()
    })
    .await;
    let codes = payable_codes(app.payments.store.as_ref(), 1, 8).await;
    for (n, code) in codes[..3].iter().enumerate() {
        let response = pay_from(&app, "203.0.113.7", code, &stolen_card(n as u32)).await;
        let status = response.status().as_u16();
        let outcome = pay_outcome(status, &response.text().await.unwrap());
        assert!(
            matches!(outcome, Ok(app::api::PayResult::Declined { .. })),
            "{outcome:?}"
        );
    }
    assert_eq!(app.calls(), 3);

    let refused = pay_from(&app, "203.0.113.7", &codes[3], APPROVED_CARD).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "3600");
    let body = refused.text().await.unwrap();
    assert_eq!(
        pay_outcome(429, &body),
        Err(app::api::PayError::TooManyAttempts {
            retry_after_secs: 3600
        })
    );

    // Without JavaScript: the pay page again, saying so, in the citizen's language.
    let key = app.form_key(&codes[4]).await;
    let mut fields = card_fields(APPROVED_CARD, CVV);
    fields.extend([
        ("idempotency_key", key.as_str()),
        ("privacy_policy_edition", "1"),
        ("user_agreement_edition", "1"),
    ]);
    let page = app
        .client
        .post(app.url(&format!("/pay/{}", codes[4])))
        .header("x-forwarded-for", "203.0.113.7")
        .header("accept-language", "en")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    assert_eq!(page.headers()["retry-after"], "3600");
    let html = page.text().await.unwrap();
    assert!(html.contains("Too many payment attempts"), "{html}");
    assert!(
        html.contains(r#"value="aibek asanov""#),
        "the form keeps the name"
    );
    assert_eq!(app.calls(), 3, "nothing more reached the acquirer");

    // Another client is not held back by this one.
    let other = pay_from(&app, "198.51.100.20", &codes[5], APPROVED_CARD).await;
    assert_eq!(other.status(), 200);
    assert_eq!(app.calls(), 4);
}

#[tokio::test]
async fn a_card_and_a_code_have_limits_of_their_own() {
    let app = guarded(AbuseLimits {
        per_client: LOOSE,
        per_card: Limit {
            attempts: 100,
            declines: 2,
        },
        per_code: Limit {
            attempts: 100,
            declines: 3,
        },
        tripwire_decline_percent: 0,
        ..AbuseLimits::default()
    })
    .await;
    let codes = payable_codes(app.payments.store.as_ref(), 20, 4).await;
    let card = stolen_card(7);
    for (n, code) in codes[..2].iter().enumerate() {
        let address = format!("192.0.2.{n}");
        assert_eq!(pay_from(&app, &address, code, &card).await.status(), 200);
    }
    let card_refused = pay_from(&app, "192.0.2.50", &codes[2], &card).await;
    assert_eq!(
        card_refused.status(),
        429,
        "the same card from a third address"
    );

    for n in 0..3 {
        let address = format!("192.0.2.{}", 100 + n);
        let response = pay_from(&app, &address, &codes[3], &stolen_card(100 + n)).await;
        assert_eq!(response.status(), 200);
    }
    let code_refused = pay_from(&app, "192.0.2.200", &codes[3], &stolen_card(200)).await;
    assert_eq!(
        code_refused.status(),
        429,
        "a fourth card for the same code"
    );
    assert_eq!(app.calls(), 5);
}

#[tokio::test]
async fn the_reasons_that_help_a_tester_read_as_one_and_are_kept_precisely() {
    let app = TestApp::spawn().await;
    let generic = "Банк отклонил платёж. Деньги не списаны";
    for (code, card) in [
        ("16202600000001", "4000 0000 0000 0127"),
        ("16202600000002", "4000 0000 0000 0069"),
        ("16202600000003", &*stolen_card(1)),
        ("16202600000004", DECLINED_CARD),
    ] {
        let response = app.post_card_form(code, &card_fields(card, CVV)).await;
        assert_eq!(response.status(), 402);
        let html = response.text().await.unwrap();
        assert!(html.contains(generic), "{card}: the one message");
        for hint in ["не принял код безопасности", "срок действия карты истёк"]
        {
            assert!(
                !html.contains(hint),
                "{card}: no hint which detail was wrong"
            );
        }
    }
    let values = app.database_values().await;
    for reason in [
        "cvv_mismatch",
        "expired_card",
        "lost_or_stolen",
        "do_not_honour",
    ] {
        assert!(values.iter().any(|v| v == reason), "{reason} is kept");
    }
}

#[tokio::test]
async fn lookups_are_throttled_per_client_and_cost_the_same_known_or_not() {
    let app = guarded(AbuseLimits {
        lookups_per_minute: 5,
        lookup_floor: Duration::from_millis(300),
        ..AbuseLimits::default()
    })
    .await;
    let look = |address: &'static str, code: &'static str| {
        let request = app
            .client
            .get(app.url(&format!("/pay/{code}")))
            .header("x-forwarded-for", address)
            .header("accept-language", "en");
        async move {
            let started = Instant::now();
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (
                status,
                headers,
                response.text().await.unwrap(),
                started.elapsed(),
            )
        }
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let (status, _, _, took) = look("203.0.113.1", "11202600000006").await;
        assert_eq!(status, 200);
        known.push(took);
        let (status, _, _, took) = look("203.0.113.2", "11209999999999").await;
        assert_eq!(status, 404);
        unknown.push(took);
    }
    let (status, headers, body, _) = look("203.0.113.1", "11202600000006").await;
    assert_eq!(status, 429, "the sixth lookup in a minute");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=13).contains(&wait), "{wait}");
    assert!(body.contains("Too many payment codes looked up"), "{body}");
    assert_eq!(
        look("203.0.113.3", "11202600000006").await.0,
        200,
        "another client"
    );

    known.sort();
    unknown.sort();
    let (k, u) = (known[2], unknown[2]);
    // The floor is far above a render's time even on a busy test machine,
    // so both answer at the floor and differ by scheduling noise only.
    assert!(k >= Duration::from_millis(300) && u >= Duration::from_millis(300));
    let gap = k.abs_diff(u);
    assert!(
        gap < Duration::from_millis(60),
        "known {k:?}, unknown {u:?}"
    );
}

#[tokio::test]
async fn past_the_tripwire_clients_that_never_paid_get_one_attempt_per_cool_down() {
    let app = guarded(AbuseLimits {
        per_client: LOOSE,
        per_card: LOOSE,
        per_code: LOOSE,
        tripwire_decline_percent: 50,
        tripwire_min_attempts: 10,
        ..AbuseLimits::default()
    })
    .await;
    let codes = payable_codes(app.payments.store.as_ref(), 40, 16).await;
    // A citizen who paid before the attack.
    assert_eq!(
        pay_from(&app, "198.51.100.1", &codes[0], APPROVED_CARD)
            .await
            .status(),
        200
    );
    for n in 0..10 {
        let address = format!("203.0.113.{n}");
        let response = pay_from(&app, &address, &codes[1 + n], &stolen_card(n as u32)).await;
        assert_eq!(response.status(), 200);
    }
    // Each server reads the site's share at most ten times a second.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let calls = app.calls();
    let again = pay_from(&app, "203.0.113.0", &codes[11], &stolen_card(50)).await;
    assert_eq!(again.status(), 429, "a tester's second attempt");
    assert_eq!(again.headers()["retry-after"], "1800");
    assert_eq!(app.calls(), calls, "never reached the acquirer");

    let newcomer = pay_from(&app, "198.51.100.2", &codes[12], APPROVED_CARD).await;
    assert_eq!(newcomer.status(), 200, "a first attempt goes through");
    let paid_before = pay_from(&app, "198.51.100.1", &codes[13], APPROVED_CARD).await;
    assert_eq!(
        paid_before.status(),
        200,
        "a client who paid is not held back"
    );
}

#[tokio::test]
async fn a_browser_is_counted_by_its_cookie_whatever_its_address() {
    let app = guarded(AbuseLimits {
        per_client: Limit {
            attempts: 100,
            declines: 2,
        },
        per_card: LOOSE,
        per_code: LOOSE,
        tripwire_decline_percent: 0,
        ..AbuseLimits::default()
    })
    .await;
    let page = app.get("/pay/11202600000006").await;
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let id = cookie.split(';').next().unwrap().to_string();
    assert!(id.starts_with("tolem_browser=") && id.len() == "tolem_browser=".len() + 32);
    let again = app
        .client
        .get(app.url("/pay/11202600000006"))
        .header("cookie", &id)
        .send()
        .await
        .unwrap();
    assert!(again.headers().get("set-cookie").is_none(), "given once");

    let codes = payable_codes(app.payments.store.as_ref(), 60, 4).await;
    let from = |address: String, code: &str, number: String| {
        app.client
            .post(app.url("/api/pay"))
            .header("x-forwarded-for", address)
            .header("cookie", &id)
            .json(&pay_body(code, &new_key(), &number))
            .send()
    };
    for (n, code) in codes[..2].iter().enumerate() {
        let response = from(format!("192.0.2.{n}"), code, stolen_card(300 + n as u32));
        assert_eq!(response.await.unwrap().status(), 200);
    }
    let refused = from("192.0.2.9".into(), &codes[2], APPROVED_CARD.into()).await;
    assert_eq!(
        refused.unwrap().status(),
        429,
        "the same browser from a third address"
    );
    let without = pay_from(&app, "192.0.2.9", &codes[3], APPROVED_CARD).await;
    assert_eq!(without.status(), 200, "that address without the cookie");
}

#[tokio::test]
async fn the_limits_hold_across_two_servers_on_one_postgres() {
    let url = server::testing::fresh_postgres_url().await;
    let limits = AbuseLimits {
        per_client: Limit {
            attempts: 100,
            declines: 2,
        },
        per_card: LOOSE,
        per_code: LOOSE,
        tripwire_decline_percent: 0,
        ..AbuseLimits::default()
    };
    let first = guarded_on(tempfile::tempdir().unwrap(), &url, limits.clone()).await;
    let second = guarded_on(tempfile::tempdir().unwrap(), &url, limits).await;
    let codes = payable_codes(first.payments.store.as_ref(), 80, 4).await;
    for (n, app) in [&first, &second].into_iter().enumerate() {
        let response = pay_from(app, "203.0.113.77", &codes[n], &stolen_card(400 + n as u32)).await;
        assert_eq!(response.status(), 200);
    }
    for app in [&first, &second] {
        let refused = pay_from(app, "203.0.113.77", &codes[2], APPROVED_CARD).await;
        assert_eq!(
            refused.status(),
            429,
            "each server counts the other's declines"
        );
    }
    assert_eq!(first.calls() + second.calls(), 2);
}
