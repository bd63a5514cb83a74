//! Deny by default, walked whole: every back-office route, asked by each
//! role and by someone not signed in, answers what the role table says,
//! on SQLite and PostgreSQL. A form without the session's CSRF token is
//! refused whoever sends it.

use crate::helpers::{APPROVED_CARD, TestApp, call_pay, is_paid, new_key, pay_body};
use crate::staff::{Browser, account, browser_client};
use domain::staff::Role;

/// Who asks: a role, or nobody signed in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Staff(Role),
}

/// What a route answers: a page, a refusal, or the way to sign in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    Page,
    Forbidden,
    SignIn,
    /// A redirect elsewhere (after an action, or `/admin` to the list).
    Redirect,
}

fn expected(who: Who, needs: Option<domain::staff::Permission>) -> Answer {
    match (who, needs) {
        (Who::Anonymous, _) => Answer::SignIn,
        (Who::Staff(_), None) => Answer::Page,
        (Who::Staff(role), Some(p)) if role.may(p) => Answer::Page,
        _ => Answer::Forbidden,
    }
}

fn answer(status: u16, location: Option<&str>) -> Answer {
    match (status, location) {
        (200, _) => Answer::Page,
        (403, _) => Answer::Forbidden,
        (303, Some(to)) if to.starts_with("/admin/login") => Answer::SignIn,
        (303, Some(_)) => Answer::Redirect,
        other => panic!("unexpected answer {other:?}"),
    }
}

async fn paid_payment(app: &TestApp) -> String {
    let code = crate::helpers::payable_codes(app.payments.store.as_ref(), 7100, 1).await;
    let paid = call_pay(app, &pay_body(&code[0], &new_key(), APPROVED_CARD)).await;
    assert!(is_paid(&paid), "{paid:?}");
    let rows = app
        .payments
        .store
        .search_payments(&Default::default(), None, 10)
        .await
        .unwrap();
    rows.into_iter()
        .find(|r| r.code.as_str() == code[0])
        .unwrap()
        .id
}

/// A citizen's message in the inbox; its id.
pub async fn feedback_message(app: &TestApp) -> i64 {
    let store = &app.payments.store;
    store
        .insert_feedback(&server::storage::FeedbackRecord {
            topic: "refund".into(),
            message: "Оплатил дважды, верните, пожалуйста".into(),
            reply_email: Some("citizen@example.kg".into()),
            receipt_number: Some("TLM-00000001".into()),
            language: "ru".into(),
            client: "test".into(),
            at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    store.feedback_page(true, None, 1).await.unwrap()[0].id
}

async fn every_route_answers_each_role_as_the_table_says(postgres: bool) {
    use domain::staff::Permission::*;
    let app = if postgres {
        TestApp::spawn_postgres().await
    } else {
        TestApp::spawn().await
    };
    let payment = paid_payment(&app).await;
    let feedback = feedback_message(&app).await;
    let victim = account(&app, "victim@infocom.kg", Role::Viewer).await;
    let mut askers: Vec<(Who, Browser)> = Vec::new();
    for role in Role::ALL {
        let browser = account(&app, &format!("{role}@infocom.kg"), role).await;
        browser.sign_in().await;
        askers.push((Who::Staff(role), browser));
    }
    let nobody = Browser {
        client: browser_client(),
        base: app.address.clone(),
        email: "nobody@infocom.kg".into(),
        secret: String::new(),
        id: String::new(),
    };
    askers.push((Who::Anonymous, nobody));

    let gets = [
        ("/admin/overview".to_owned(), Some(ReadPayments)),
        ("/admin/payments".to_owned(), Some(ReadPayments)),
        (format!("/admin/payments/{payment}"), Some(ReadPayments)),
        ("/admin/payments/export".to_owned(), Some(ExportPayments)),
        ("/admin/users".to_owned(), Some(ManageUsers)),
        (format!("/admin/users/{}", victim.id), Some(ManageUsers)),
        ("/admin/audit".to_owned(), Some(ReadAudit)),
        ("/admin/feedback".to_owned(), Some(HandleFeedback)),
        (format!("/admin/feedback/{feedback}"), Some(HandleFeedback)),
        ("/admin/documents".to_owned(), Some(PublishDocuments)),
        ("/admin/agencies".to_owned(), Some(ManageAgencies)),
    ];
    for (who, browser) in &askers {
        for (path, needs) in &gets {
            let (status, body, location) = browser.get(path).await;
            let got = answer(status, location.as_deref());
            assert_eq!(
                got,
                expected(*who, *needs),
                "{who:?} GET {path}: {body:.300}"
            );
            // The applicant's full name only for roles with the right.
            if status == 200 && path.ends_with(&payment) {
                let names = matches!(who, Who::Staff(r) if r.may(ReadApplicantNames));
                assert_eq!(
                    body.contains("Асанов Бакыт"),
                    names,
                    "{who:?} sees the name"
                );
                assert_eq!(body.contains("А****в Б."), !names, "{who:?} sees it masked");
            }
        }
        // The sign-in form is for anyone; `/admin` leads to the list.
        let (status, _, _) = browser.get("/admin/login").await;
        assert_eq!(status, 200, "{who:?} GET /admin/login");
        let (status, _, location) = browser.get("/admin").await;
        let home = match who {
            Who::Anonymous => Answer::SignIn,
            Who::Staff(_) => Answer::Redirect,
        };
        assert_eq!(
            answer(status, location.as_deref()),
            home,
            "{who:?} GET /admin"
        );
        // The code step needs a right password moments ago.
        let (status, _, location) = browser.get("/admin/login/code").await;
        assert_eq!(
            answer(status, location.as_deref()),
            Answer::SignIn,
            "{who:?} code"
        );

        let posts = [
            (
                "/admin/users",
                vec![("email", "new@infocom.kg"), ("role", "viewer")],
            ),
            (
                &*format!("/admin/users/{}/role", victim.id),
                vec![("role", "support")],
            ),
            (&*format!("/admin/users/{}/disable", victim.id), vec![]),
            (&*format!("/admin/users/{}/enable", victim.id), vec![]),
        ];
        for (path, fields) in &posts {
            // Without the token: refused, whoever asks, before anything else.
            let (status, _, _) = browser.post_with("", path, fields).await;
            assert_eq!(status, 403, "{who:?} POST {path} without a token");
            let (status, body, location) = browser.post("/admin/login", path, fields).await;
            let got = answer(status, location.as_deref());
            let want = match expected(*who, Some(ManageUsers)) {
                // A created account's password page, or back to the account.
                Answer::Page if path.ends_with("/users") => Answer::Page,
                Answer::Page => Answer::Redirect,
                other => other,
            };
            assert_eq!(got, want, "{who:?} POST {path}: {body:.300}");
        }
        // A refund of one som: recorded for the roles that may refund.
        let path = format!("/admin/payments/{payment}/refunds");
        let refund = [("amount", "1"), ("note", "Проверка прав")];
        let (status, _, _) = browser.post_with("", &path, &refund).await;
        assert_eq!(status, 403, "{who:?} POST {path} without a token");
        let (status, body, location) = browser.post("/admin/login", &path, &refund).await;
        let want = match expected(*who, Some(Refund)) {
            Answer::Page => Answer::Redirect,
            other => other,
        };
        let got = answer(status, location.as_deref());
        assert_eq!(got, want, "{who:?} POST {path}: {body:.300}");
        // Marking feedback handled: the first who may does it, the next is
        // told it is done (422); nobody else gets that far.
        let path = format!("/admin/feedback/{feedback}/handled");
        let note = [("note", "Вернули второй платёж")];
        let (status, _, _) = browser.post_with("", &path, &note).await;
        assert_eq!(status, 403, "{who:?} POST {path} without a token");
        let (status, body, location) = browser.post("/admin/login", &path, &note).await;
        let got = match status {
            422 => Answer::Page,
            _ => answer(status, location.as_deref()),
        };
        let want = match expected(*who, Some(HandleFeedback)) {
            Answer::Page if *who == Who::Staff(Role::Admin) => Answer::Redirect,
            other => other,
        };
        assert_eq!(got, want, "{who:?} POST {path}: {body:.300}");
        if *who == Who::Staff(Role::Admin) {
            let (status, body, _) = browser.get("/admin/users").await;
            assert_eq!(status, 200);
            assert!(
                body.contains("new@infocom.kg"),
                "the admin added an account"
            );
        }
    }
    // Each signed-in member signs out; the session is then gone.
    for (who, browser) in &askers {
        let (status, _, location) = browser.post("/admin/login", "/admin/logout", &[]).await;
        assert_eq!(
            answer(status, location.as_deref()),
            Answer::SignIn,
            "{who:?} logout"
        );
        let (status, _, location) = browser.get("/admin/payments").await;
        assert_eq!(
            answer(status, location.as_deref()),
            Answer::SignIn,
            "{who:?} after logout"
        );
    }
}

#[tokio::test]
async fn sqlite_every_back_office_route_answers_each_role_as_the_table_says() {
    every_route_answers_each_role_as_the_table_says(false).await;
}

#[tokio::test]
async fn postgres_every_back_office_route_answers_each_role_as_the_table_says() {
    every_route_answers_each_role_as_the_table_says(true).await;
}
