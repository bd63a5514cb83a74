//! Staff as the back-office tests drive them: an account made through the
//! staff desk (as `server user add` makes one, its second factor enrolled
//! at once), a browser of its own with a cookie jar, and the two sign-in
//! steps over HTTP.

use crate::helpers::TestApp;
use domain::staff::Role;
use server::config::StaffSettings;
use server::staff::{Actor, StaffDesk, totp};

pub const PASSWORD: &str = "correct horse battery staple";

/// A staff member's browser, signed in or not.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub email: String,
    pub secret: String,
    pub id: String,
}

pub fn desk(app: &TestApp) -> StaffDesk {
    StaffDesk::new(
        app.payments.store.clone(),
        std::sync::Arc::new(chrono::Utc::now),
        StaffSettings::default(),
    )
}

/// A cookie-keeping client that does not follow redirects.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The account `email` with `role`, and a browser for it (not signed in).
pub async fn account(app: &TestApp, email: &str, role: Role) -> Browser {
    let credentials = desk(app)
        .add(&Actor::default(), email, role, Some(PASSWORD.into()))
        .await
        .expect("account created");
    let uri = credentials.enrolment_uri.expect("enrolled at once");
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("secret in the URI")
        .to_owned();
    Browser {
        client: browser_client(),
        base: app.address.clone(),
        email: email.to_owned(),
        secret,
        id: credentials.staff.id,
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf""#)?;
    let rest = &html[at..];
    let value = rest.find(r#"value=""#)? + 7;
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

pub fn now_code(secret: &str) -> String {
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    totp::code_at(secret, now).unwrap()
}

/// Status, body and where it redirects.
async fn read(response: reqwest::Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

impl Browser {
    pub async fn get(&self, path: &str) -> (u16, String, Option<String>) {
        let response = self.client.get(format!("{}{path}", self.base)).send();
        read(response.await.unwrap()).await
    }

    /// Posts a form with the token of the page at `from`.
    pub async fn post(
        &self,
        from: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let (_, page, _) = self.get(from).await;
        let token = csrf_in(&page).unwrap_or_default();
        self.post_with(&token, path, fields).await
    }

    pub async fn post_with(
        &self,
        token: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", token)];
        form.extend_from_slice(fields);
        let url = format!("{}{path}", self.base);
        read(self.client.post(url).form(&form).send().await.unwrap()).await
    }

    /// The password step: its answer.
    pub async fn password(&self, password: &str) -> (u16, String, Option<String>) {
        let email = self.email.clone();
        self.post(
            "/admin/login",
            "/admin/login",
            &[("email", &email), ("password", password)],
        )
        .await
    }

    /// Both steps, right; panics if either is refused.
    pub async fn sign_in(&self) {
        let (status, body, location) = self.password(PASSWORD).await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/admin/login/code")),
            "{body}"
        );
        let code = now_code(&self.secret);
        let (status, body, location) = self
            .post("/admin/login/code", "/admin/login/code", &[("code", &code)])
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some("/admin/payments")),
            "{body}"
        );
    }
}
