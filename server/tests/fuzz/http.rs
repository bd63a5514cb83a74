//! The same inputs over HTTP, through the whole site in-process (every
//! layer, handler and page a browser's request meets): whatever arrives,
//! the answer is never a 5xx. The acquirer's notifications are half of
//! them signed with the site's key, so the parser behind the signature
//! check is reached too.

use crate::inputs::{field, form_body, header_text, json_body};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use proptest::prelude::*;
use server::config::{Config, GatewayConfig, ProcessorKind};
use std::sync::OnceLock;
use std::time::Duration;
use tower::ServiceExt;

const KEY: &str = "fuzzing-key-fuzzing-key-fuzzing-key-0123";
const NOTIFICATIONS: &str = "/api/acquirer/notifications";

struct Site {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    _data: tempfile::TempDir,
}

/// One site for every case: a fresh SQLite file, demo data, the limits on
/// repeated lookups and card testing off (they would answer 429 to most
/// of a fuzzer's requests), an acquirer that is not there.
fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("temporary directory");
        let url = server::testing::sqlite_url(data.path());
        let mut config = Config::local(&url, &data.path().display().to_string());
        config.processor = ProcessorKind::Gateway(GatewayConfig {
            url: "http://127.0.0.1:9".into(),
            secret: KEY.into(),
            connect_timeout: Duration::from_millis(50),
            request_timeout: Duration::from_millis(100),
        });
        config.abuse.enabled = false;
        config.abuse.lookups_per_minute = 0;
        config.abuse.lookup_floor = Duration::ZERO;
        let application = runtime
            .block_on(server::Application::build(config))
            .expect("server starts");
        let router = application.router();
        Site {
            runtime,
            router,
            _data: data,
        }
    })
}

#[derive(Debug, Clone)]
enum Input {
    PayForm {
        code: String,
        body: Vec<u8>,
    },
    PayFunction {
        body: Vec<u8>,
    },
    Notification {
        body: Vec<u8>,
        signed: bool,
    },
    CspReport {
        body: Vec<u8>,
    },
    Page {
        path: String,
        cookie: String,
        accept_language: String,
    },
}

fn inputs() -> impl Strategy<Value = Input> {
    let code = prop_oneof!["[0-9]{10}", "[0-9]{1,24}", field()];
    let path = prop_oneof![
        Just("/".to_string()),
        "/\\?code=[0-9a-z%]{0,20}",
        "/pay/[0-9]{1,20}",
        "/verify/[0-9A-Z-]{0,24}",
        "/find-receipt\\?code=[0-9]{0,12}&number=[A-Z0-9-]{0,14}",
        "/[a-z/%.]{0,30}",
    ];
    prop_oneof![
        3 => (code, form_body()).prop_map(|(code, body)| Input::PayForm { code, body }),
        2 => json_body().prop_map(|body| Input::PayFunction { body }),
        2 => (json_body(), any::<bool>()).prop_map(|(body, signed)| Input::Notification { body, signed }),
        1 => json_body().prop_map(|body| Input::CspReport { body }),
        2 => (path, header_text(), header_text()).prop_map(|(path, cookie, accept_language)| {
            Input::Page { path, cookie, accept_language }
        }),
    ]
}

fn request(input: Input) -> Option<Request<Body>> {
    let post = |uri: String, kind: &str, body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("content-type", kind)
            .body(Body::from(body))
    };
    let request = match input {
        Input::PayForm { code, body } => {
            let code =
                percent_encoding::utf8_percent_encode(&code, percent_encoding::NON_ALPHANUMERIC);
            post(
                format!("/pay/{code}"),
                "application/x-www-form-urlencoded",
                body,
            )
        }
        Input::PayFunction { body } => post("/api/pay".into(), "application/json", body),
        Input::CspReport { body } => post("/csp-reports".into(), "application/csp-report", body),
        Input::Notification { body, signed } => {
            let now = acquirer::protocol::now_unix();
            let key: &[u8] = if signed {
                KEY.as_bytes()
            } else {
                b"not the key"
            };
            let signature = acquirer::protocol::sign(key, now, "POST", NOTIFICATIONS, &body);
            Request::builder()
                .method(Method::POST)
                .uri(NOTIFICATIONS)
                .header("content-type", "application/json")
                .header(acquirer::protocol::TIMESTAMP_HEADER, now.to_string())
                .header(acquirer::protocol::SIGNATURE_HEADER, signature)
                .body(Body::from(body))
        }
        Input::Page {
            path,
            cookie,
            accept_language,
        } => Request::builder()
            .uri(path)
            .header("cookie", cookie)
            .header("accept-language", accept_language)
            .body(Body::empty()),
    };
    // A request no client could send (a header that is not a header) is
    // not the site's to answer.
    let mut request = request.ok()?;
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from((
            [203, 0, 113, 9],
            40000,
        ))));
    Some(request)
}

proptest! {
    #[test]
    fn the_site_never_answers_5xx(input in inputs()) {
        let site = site();
        let Some(request) = request(input.clone()) else { return Ok(()) };
        let status = site.runtime.block_on(async {
            let response = site.router.clone().oneshot(request).await.expect("infallible");
            let status = response.status();
            // The body too: a page that fails half way is a failure.
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            status
        });
        prop_assert!(!status.is_server_error(), "{status} for {input:?}");
    }
}
