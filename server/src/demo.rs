//! Demonstration payment requests, seeded into an empty database when
//! `TOLEM_DEMO_DATA` is on (the run command and the tests turn it on); in
//! test mode also a demonstration agency with a fixed test key, so the
//! README's examples of the agency API work as written.

use crate::storage::{PaymentRequest, PaymentStore, StoreError};
use chrono::{DateTime, Duration, Utc};
use domain::{Money, PaymentCode, RequestStatus};

/// (code, applicant, amount in tyiyn, status). Codes start with their service's prefix.
pub const DEMO_REQUESTS: &[(&str, &str, i64, RequestStatus)] = &[
    (
        "11202600000001",
        "Асанов Бакыт Алмазович",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000002",
        "Иванова Мария Сергеевна",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000003",
        "Токтогулова Айгерим Маратовна",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000004",
        "Smith John",
        350_050,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000005",
        "Садыков Нурлан Бекович",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000006",
        "Ким Елена Викторовна",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000007",
        "Осмонов Тимур",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000008",
        "Жумабаева Гульнара",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000009",
        "Абдрахманов Эмил",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000010",
        "Петров Алексей",
        220_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "11202600000091",
        "Бекова Динара Асановна",
        220_000,
        RequestStatus::Paid,
    ),
    (
        "11202600000092",
        "Исаков Марат",
        220_000,
        RequestStatus::Expired,
    ),
    (
        "11202600000093",
        "Кадыров Азамат",
        220_000,
        RequestStatus::Cancelled,
    ),
    (
        "16202600000001",
        "Мамытов Эрлан Кубатович",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000002",
        "Müller Anna",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000003",
        "Орозова Чолпон",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000004",
        "Усенов Данияр",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000005",
        "Турдубаев Адилет",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000006",
        "Эсенова Айпери",
        150_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "16202600000091",
        "Алиев Руслан",
        150_000,
        RequestStatus::Paid,
    ),
    (
        "16202600000092",
        "Сыдыкова Бермет",
        150_000,
        RequestStatus::Expired,
    ),
    (
        "16202600000093",
        "Шаршеев Улан",
        150_000,
        RequestStatus::Cancelled,
    ),
    (
        "13202600000001",
        "Абдыкадырова Жылдыз Токтомушевна",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000002",
        "Нуралиев Бектур",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000003",
        "Калыкова Асель",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000004",
        "Дуйшеев Канат",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000005",
        "Мураталиева Жазгул",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000006",
        "Жээнбеков Тилек",
        45_000,
        RequestStatus::AwaitingPayment,
    ),
    (
        "13202600000091",
        "Сатыбалдиев Айбек",
        45_000,
        RequestStatus::Paid,
    ),
    (
        "13202600000092",
        "Рыскулова Назгуль",
        45_000,
        RequestStatus::Expired,
    ),
    (
        "13202600000093",
        "Токтосунов Медер",
        45_000,
        RequestStatus::Cancelled,
    ),
];

/// Seeds the demo requests unless the database already has requests.
pub async fn seed(store: &dyn PaymentStore, now: DateTime<Utc>) -> Result<usize, StoreError> {
    if store.count_requests().await? > 0 {
        return Ok(0);
    }
    for (code, applicant, tyiyn, status) in DEMO_REQUESTS {
        let code = PaymentCode::parse(code).map_err(|_| StoreError::Corrupt("demo code"))?;
        let service = code
            .service_kind()
            .ok_or(StoreError::Corrupt("demo code prefix"))?;
        let expires_at = match status {
            RequestStatus::Expired => now - Duration::days(1),
            _ => now + Duration::days(30),
        };
        let request = PaymentRequest {
            code,
            service,
            applicant_name: (*applicant).to_string(),
            amount: Money::from_tyiyn(*tyiyn).map_err(|_| StoreError::Corrupt("demo amount"))?,
            status: *status,
            expires_at,
        };
        store.insert_request(&request, now).await?;
    }
    Ok(DEMO_REQUESTS.len())
}

/// The demonstration agency and its test key (test mode only: a test key
/// works on no live server).
pub const DEMO_AGENCY: &str = "agc_demo";
pub const DEMO_KEY: &str = "tlm_test_DemoKeyForTheSandbox000000000001";

/// Creates the demonstration agency (every service, no webhook) and its
/// key unless it exists; answers whether it was created.
pub async fn seed_agency(store: &dyn PaymentStore, now: DateTime<Utc>) -> Result<bool, StoreError> {
    use crate::agencies::keys::{self, KeyMode};
    use crate::storage::{AgencyRecord, ApiKeyRecord};
    if store.agency(DEMO_AGENCY).await?.is_some() {
        return Ok(false);
    }
    store
        .insert_agency(&AgencyRecord {
            id: DEMO_AGENCY.into(),
            name: "Demo passport office".into(),
            services: domain::ServiceKind::ALL.to_vec(),
            webhook: None,
            created_at: now,
        })
        .await?;
    let body = DEMO_KEY.strip_prefix("tlm_test_").unwrap_or(DEMO_KEY);
    let key = keys::key_from(KeyMode::Test, body);
    let record = ApiKeyRecord {
        id: "key_demo".into(),
        agency_id: DEMO_AGENCY.into(),
        prefix: key.prefix,
        mode: KeyMode::Test.as_str().into(),
        label: Some("demonstration".into()),
        created_at: now,
        revoked_at: None,
    };
    store.insert_api_key(&record, &key.hash).await?;
    Ok(true)
}

pub const DEMO_STAFF_EMAIL: &str = "admin@tolem.test";
pub const DEMO_STAFF_PASSWORD: &str = "demo admin password";
/// The demonstration admin's TOTP secret, to type into an authenticator app.
pub const DEMO_STAFF_TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Creates the demonstration admin of the back office (a test site only)
/// unless it exists; answers whether it was created.
pub async fn seed_staff(store: &dyn PaymentStore, now: DateTime<Utc>) -> Result<bool, StoreError> {
    use crate::storage::{AuditEntry, StaffRecord};
    // Checked first: hashing the password is the costly part of a start.
    if store.staff_by_email(DEMO_STAFF_EMAIL).await?.is_some() {
        return Ok(false);
    }
    let staff = StaffRecord {
        id: "usr_demo".into(),
        email: DEMO_STAFF_EMAIL.into(),
        role: domain::staff::Role::Admin,
        password_hash: crate::staff::password::hash_off_thread(DEMO_STAFF_PASSWORD.into()).await,
        totp_secret: Some(DEMO_STAFF_TOTP.into()),
        last_totp_step: None,
        failed_attempts: 0,
        locked_until: None,
        credentials_version: 1,
        disabled_at: None,
        created_at: now,
    };
    let audit = AuditEntry {
        at: now,
        actor_email: Some("demo data".into()),
        action: "user_created".into(),
        record_type: Some("staff".into()),
        record_id: Some(staff.id.clone()),
        ..AuditEntry::default()
    };
    store.add_staff(&staff, &audit).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ServiceKind;

    fn kinds_and_statuses() -> (Vec<ServiceKind>, Vec<RequestStatus>) {
        let mut kinds = Vec::new();
        let mut statuses = Vec::new();
        for (code, _, _, status) in DEMO_REQUESTS {
            if let Some(kind) = PaymentCode::parse(code).ok().and_then(|c| c.service_kind())
                && !kinds.contains(&kind)
            {
                kinds.push(kind);
            }
            if !statuses.contains(status) {
                statuses.push(*status);
            }
        }
        (kinds, statuses)
    }

    #[test]
    fn demo_data_covers_every_kind_and_status() {
        let (kinds, statuses) = kinds_and_statuses();
        assert_eq!(kinds.len(), 3);
        assert_eq!(statuses.len(), 4);
        assert!(DEMO_REQUESTS.len() >= 10);
    }
}
