use super::*;

fn fresh(nonce: &str, attempt_key: &str) -> Fresh {
    Fresh {
        nonce: nonce.into(),
        attempt_key: attempt_key.into(),
    }
}

#[test]
fn the_nonce_is_read_from_the_policy() {
    let policy = b"default-src 'self'; script-src 'self' 'nonce-Ab_9' 'wasm-unsafe-eval'";
    assert_eq!(nonce_of(policy), Some(&b"Ab_9"[..]));
    assert_eq!(nonce_of(b"default-src 'none'"), None);
    assert_eq!(nonce_of(b"script-src 'nonce-'"), None);
}

#[test]
fn every_copy_has_values_of_its_own_where_the_page_had_its() {
    let page = br#"<script nonce="N1">a</script><input value="K1"><script nonce="N1">b</script>"#;
    let template = Template::cut(page, &[(b"N1", Hole::Nonce), (b"K1", Hole::AttemptKey)]);
    assert_eq!(
        template.holes,
        vec![Hole::Nonce, Hole::AttemptKey, Hole::Nonce]
    );
    assert_eq!(
        template.fill(&fresh("xyz", "k2")),
        Bytes::from_static(
            br#"<script nonce="xyz">a</script><input value="k2"><script nonce="xyz">b</script>"#
        )
    );
    // A page without the values is answered as it was.
    let plain = Template::cut(b"<p>same</p>", &[(b"N1", Hole::Nonce)]);
    assert_eq!(
        plain.fill(&fresh("x", "y")),
        Bytes::from_static(b"<p>same</p>")
    );
}

#[test]
fn only_pages_that_are_the_same_for_everyone_are_kept() {
    for shared in [
        "/",
        "/pay/11202600000001",
        "/documents/privacy-policy",
        "/contacts",
    ] {
        assert!(is_shared(shared), "{shared}");
    }
    for own in [
        "/payment/abc",
        "/receipt/abc",
        "/admin",
        "/api/pay",
        "/verify/x",
        "/feedback",
    ] {
        assert!(!is_shared(own), "{own}");
    }
}

mod served {
    use super::super::*;
    use axum::Router;
    use axum::routing::get;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use tower::ServiceExt;

    /// A site of pages that count their renderings, each with a nonce and
    /// an attempt key of its own, behind the copies.
    struct Site {
        router: Router,
        renders: Arc<AtomicUsize>,
        writes: Arc<AtomicU64>,
    }

    fn site(lifetime: Duration) -> Site {
        let renders = Arc::new(AtomicUsize::new(0));
        let writes = Arc::new(AtomicU64::new(0));
        let counted = writes.clone();
        let copies = PageCopies::counting(
            move || counted.load(Ordering::SeqCst),
            Arc::new(chrono::Utc::now),
            lifetime,
        );
        let rendered = renders.clone();
        let page = move |request: Request| {
            let n = rendered.fetch_add(1, Ordering::SeqCst);
            async move {
                let (parts, _) = request.into_parts();
                let language = app::lang::tag(app::lang::resolve(&parts));
                let nonce = format!("Nonce{n}");
                let key = format!("{n:032x}");
                let mut response = Response::builder()
                    .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                    .header(
                        header::CONTENT_SECURITY_POLICY,
                        format!("script-src 'nonce-{nonce}'"),
                    )
                    .header(app::http::FRESH_VALUE_HEADER, &key);
                if parts.uri.path() == "/documents/cookie" {
                    response = response.header(header::SET_COOKIE, "a=b");
                }
                if parts.uri.path() == "/pay/0" {
                    response = response.status(StatusCode::NOT_FOUND);
                }
                response
                    .body(Body::from(format!(
                        r#"<html lang="{language}"><script nonce="{nonce}"></script><input value="{key}">"#
                    )))
                    .unwrap()
            }
        };
        let router = Router::new()
            .route("/", get(page.clone()))
            .route("/pay/{code}", get(page.clone()).post(page.clone()))
            .route("/documents/cookie", get(page.clone()))
            .route("/receipt/{id}", get(page))
            .layer(axum::middleware::from_fn_with_state(copies, answer_copies));
        Site {
            router,
            renders,
            writes,
        }
    }

    struct Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: String,
    }

    impl Answer {
        fn nonce(&self) -> String {
            let policy = self.headers[header::CONTENT_SECURITY_POLICY].as_bytes();
            String::from_utf8(nonce_of(policy).unwrap().to_vec()).unwrap()
        }

        fn key(&self) -> &str {
            let start = self.body.find("value=\"").unwrap() + 7;
            &self.body[start..start + 32]
        }
    }

    impl Site {
        async fn ask(&self, method: &str, address: &str, language: &str) -> Answer {
            let request = Request::builder()
                .method(method)
                .uri(address)
                .header(header::ACCEPT_LANGUAGE, language)
                .body(Body::empty())
                .unwrap();
            let response = self.router.clone().oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            Answer {
                status: parts.status,
                headers: parts.headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }

        async fn get(&self, address: &str) -> Answer {
            self.ask("GET", address, "ru").await
        }

        fn renders(&self) -> usize {
            self.renders.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn a_page_is_rendered_once_and_each_copy_has_its_own_nonce_and_key() {
        let site = site(Duration::from_secs(60));
        let first = site.get("/pay/1").await;
        let second = site.get("/pay/1").await;
        assert_eq!(site.renders(), 1);
        assert_eq!(first.nonce(), "Nonce0");
        assert_ne!(second.nonce(), first.nonce());
        assert!(
            second
                .body
                .contains(&format!(r#"<script nonce="{}">"#, second.nonce())),
            "{}",
            second.body
        );
        assert_ne!(second.key(), first.key());
        assert!(domain::IdempotencyKey::parse(second.key()).is_ok());
        assert_eq!(
            second
                .body
                .replace(&second.nonce(), "N")
                .replace(second.key(), "K"),
            first
                .body
                .replace(&first.nonce(), "N")
                .replace(first.key(), "K")
        );
        for answer in [&first, &second] {
            assert!(!answer.headers.contains_key(app::http::FRESH_VALUE_HEADER));
        }
    }

    #[tokio::test]
    async fn a_write_or_the_lifetime_ends_a_copy() {
        let site = site(Duration::from_secs(60));
        site.get("/").await;
        site.writes.fetch_add(1, Ordering::SeqCst);
        site.get("/").await;
        site.get("/").await;
        assert_eq!(site.renders(), 2);

        let site = self::site(Duration::from_millis(50));
        site.get("/").await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        site.get("/").await;
        assert_eq!(site.renders(), 2);
    }

    #[tokio::test]
    async fn each_address_and_language_has_copies_of_its_own() {
        let site = site(Duration::from_secs(60));
        let language = |address: &'static str, asked: &'static str| {
            let site = &site;
            async move {
                let body = site.ask("GET", address, asked).await.body;
                let start = body.find("lang=\"").unwrap() + 6;
                body[start..start + 2].to_string()
            }
        };
        assert_eq!(language("/", "en").await, "en");
        assert_eq!(language("/", "ky").await, "ky");
        site.get("/?code=1").await;
        assert_eq!(site.renders(), 3);
        assert_eq!(language("/", "en").await, "en");
        assert_eq!(language("/?lang=en", "ky").await, "en");
        assert_eq!(site.renders(), 4, "an address of its own");
    }

    #[tokio::test]
    async fn what_is_not_the_same_for_everyone_is_never_kept() {
        let site = site(Duration::from_secs(60));
        for _ in 0..2 {
            assert_eq!(site.get("/pay/0").await.status, StatusCode::NOT_FOUND);
            site.get("/documents/cookie").await;
            site.get("/receipt/1").await;
            let posted = site.ask("POST", "/pay/1", "ru").await;
            assert!(!posted.headers.contains_key(app::http::FRESH_VALUE_HEADER));
        }
        assert_eq!(site.renders(), 8);

        let never = self::site(Duration::ZERO);
        never.get("/").await;
        let again = never.get("/").await;
        assert_eq!(never.renders(), 2);
        assert!(!again.headers.contains_key(app::http::FRESH_VALUE_HEADER));
    }
}
