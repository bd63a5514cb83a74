//! Pages rendered once and answered again (`web::page_copies`): each copy
//! still has its own nonce and attempt key, and a write is seen at once.

use crate::helpers::*;
use std::collections::HashSet;

fn nonce_of(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce") + 7;
    let length = policy[start..].find('\'').unwrap();
    policy[start..start + length].to_string()
}

#[tokio::test]
async fn every_visitor_of_a_pay_page_gets_a_nonce_and_an_attempt_key_of_their_own() {
    let app = TestApp::spawn().await;
    let mut keys = HashSet::new();
    let mut nonces = HashSet::new();
    for _ in 0..5 {
        let response = app.get("/pay/11202600000001").await;
        assert_eq!(response.status(), 200);
        assert!(
            response
                .headers()
                .get(app::http::FRESH_VALUE_HEADER)
                .is_none()
        );
        let nonce = nonce_of(&header(&response, "content-security-policy"));
        let html = response.text().await.unwrap();
        // Every script of the page carries the nonce of its own policy.
        let scripts = html.matches("nonce=\"").count();
        assert!(scripts > 0, "{html}");
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts);
        keys.insert(form_key_in(&html).expect("a key"));
        nonces.insert(nonce);
    }
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_eq!(nonces.len(), 5, "{nonces:?}");
}

#[tokio::test]
async fn a_payment_is_seen_at_once_by_the_pages_answered_again() {
    let app = TestApp::spawn().await;
    let code = "11202600000001";
    for _ in 0..3 {
        let (_, lookup) = app.get_html(&format!("/?code={code}")).await;
        assert!(lookup.contains("Ожидает оплаты"));
        let (_, form) = app.get_html(&format!("/pay/{code}")).await;
        assert!(form.contains(r#"name="number""#));
    }
    let key = app.form_key(code).await;
    let paid = call_pay(&app, &pay_body(code, &key, "4111111111111111")).await;
    assert!(is_paid(&paid), "{paid:?}");
    let (_, lookup) = app.get_html(&format!("/?code={code}")).await;
    assert!(lookup.contains("уже оплачен"), "{lookup}");
    let (_, form) = app.get_html(&format!("/pay/{code}")).await;
    assert!(!form.contains(r#"name="number""#));
}
