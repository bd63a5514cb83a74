use crate::helpers::{TestApp, header};

#[tokio::test]
async fn pages_carry_a_nonce_csp_and_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/pay/11202600000006",
        "/documents/privacy-policy",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("script-src 'self' 'nonce-"), "{path}: {csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(header(&response, "strict-transport-security").starts_with("max-age="));
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    }
}

#[tokio::test]
async fn every_inline_script_carries_the_nonce_of_its_response() {
    let app = TestApp::spawn().await;
    let response = app.get("/pay/11202600000006").await;
    let csp = header(&response, "content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "the pay page loads its island");
    let with_nonce = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
        + html
            .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
            .count();
    assert_eq!(
        with_nonce, scripts,
        "every script carries this response's nonce"
    );

    let other = app.get("/pay/11202600000006").await;
    assert_ne!(
        header(&other, "content-security-policy"),
        csp,
        "a fresh nonce per response"
    );
}

#[tokio::test]
async fn pages_without_an_island_load_no_code() {
    let app = TestApp::spawn().await;
    for path in ["/", "/?code=11202600000001", "/documents/privacy-policy"] {
        let (_, html) = app.get_html(path).await;
        assert!(!html.contains(".js"), "{path} loads JavaScript");
        assert!(!html.contains(".wasm"), "{path} loads WebAssembly");
        assert!(!html.contains("import("), "{path} imports a module");
    }
    // The pay page loads its island when the release pins it
    // (`page_integrity::the_payment_page_pins_its_scripts_...`).
}

#[tokio::test]
async fn pay_and_receipt_pages_are_never_cached() {
    let app = TestApp::spawn().await;
    assert_eq!(
        header(&app.get("/pay/11202600000006").await, "cache-control"),
        "no-store"
    );
    assert_eq!(
        header(
            &app.get("/receipt/0123456789abcdef0123456789abcdef").await,
            "cache-control"
        ),
        "no-store"
    );
    assert_ne!(header(&app.get("/").await, "cache-control"), "no-store");
}
