//! The overview, on SQLite and PostgreSQL: payments of the period counted
//! by Bishkek day, status, reason, service and agency, refunds beside
//! them, drawn as SVG with the figures in tables; a bad period is said so.

use crate::helpers::{APPROVED_CARD, DECLINED_CARD, call_pay, new_key, pay_body, payable_codes};
use crate::receiver::spawn;
use crate::staff::account;
use domain::staff::Role;

async fn the_overview_counts_the_period(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = payable_codes(app.payments.store.as_ref(), 7600, 3).await;
    for (code, card) in codes
        .iter()
        .zip([APPROVED_CARD, APPROVED_CARD, DECLINED_CARD])
    {
        call_pay(&app, &pay_body(code, &new_key(), card)).await;
    }
    let viewer = account(&app, "viewer@infocom.kg", Role::Viewer).await;
    viewer.sign_in().await;
    let (status, page, _) = viewer.get("/admin/overview").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("<svg").count(), 7, "every chart drawn");
    assert!(!page.contains("<script"), "no script");
    // Today (Bishkek): three payments, two succeeded, 3 000 som, 66,6 %.
    let today = (chrono::Utc::now() + chrono::Duration::hours(6))
        .format("%d.%m.%Y")
        .to_string();
    let row = page
        .split("<tr>")
        .find(|r| r.contains(&today))
        .expect("today's row");
    let cells: Vec<&str> = row
        .split("<td")
        .skip(1)
        .map(|c| {
            c.split('>')
                .nth(1)
                .unwrap_or_default()
                .split('<')
                .next()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(cells[1..3], ["3", "2"], "{row}");
    assert!(
        cells[3].starts_with("3") && cells[3].contains("000,00"),
        "{row}"
    );
    assert_eq!(cells[4], "66,6 %", "{row}");
    assert!(page.contains("do_not_honour"), "the decline's reason");
    assert!(page.contains("Карта «Мекен»"), "per service");
    assert!(page.contains("Без ведомства"), "per agency");
    // A period ending before it starts is refused with the dates kept.
    let (status, page, _) = viewer
        .get("/admin/overview?from=2026-12-31&until=2026-01-01")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"value="2026-12-31""#) && page.contains(r#"aria-invalid="true""#));
    // A period without payments: charts still drawn, nothing counted.
    let (_, page, _) = viewer
        .get("/admin/overview?from=2026-01-01&until=2026-01-31")
        .await;
    assert_eq!(page.matches("<svg").count(), 7);
    assert!(!page.contains("do_not_honour"));
}

#[tokio::test]
async fn the_overview_counts_the_period_on_sqlite() {
    the_overview_counts_the_period(false).await;
}

#[tokio::test]
async fn the_overview_counts_the_period_on_postgres() {
    the_overview_counts_the_period(true).await;
}
