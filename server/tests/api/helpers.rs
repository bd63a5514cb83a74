use server::Application;
use server::config::{Config, ProcessorKind};
use server::processor::SandboxProcessor;
use std::sync::Arc;

pub const APPROVED_CARD: &str = "4111 1111 1111 1111";
pub const DECLINED_CARD: &str = "4000 0000 0000 0002";
pub const PROCESSOR_ERROR_CARD: &str = "4000 0000 0000 0119";
pub const CVV: &str = "987";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub sandbox: Arc<SandboxProcessor>,
    pub data_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database = data_dir.path().join("tolem.db");
        let config = Config {
            site_addr: "127.0.0.1:0".parse().unwrap(),
            database_url: format!("sqlite://{}?mode=rwc", database.display()),
            processor: ProcessorKind::Sandbox,
            demo_data: true,
            elcart_prefix: "9417".into(),
            support_email: "support@infocom.kg".into(),
            support_phones: vec!["(0312) 98-61-90".into(), "(0312) 98-61-91".into()],
            site_root: data_dir.path().display().to_string(),
        };
        let application = Application::build(config).await.expect("server starts");
        let port = application.port();
        let sandbox = application.sandbox.clone().expect("sandbox processor");
        tokio::spawn(application.run());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client,
            sandbox,
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_html(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// The plain form post of a browser without JavaScript.
    pub async fn post_card_form(&self, code: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/pay/{code}")))
            .header("accept", "text/html")
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Every byte the database has on disk, including the write-ahead log.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(self.data_dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("tolem.db") {
                bytes.extend(std::fs::read(path).unwrap());
            }
        }
        bytes
    }
}

pub fn card_fields<'a>(number: &'a str, cvv: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("cardholder", "aibek asanov"),
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "2030"),
        ("cvv", cvv),
    ]
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
