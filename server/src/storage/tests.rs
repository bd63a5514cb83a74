//! The store's contract, checked against SQLite and PostgreSQL alike.

use super::*;
use crate::testing;
use domain::PaymentState::*;

/// A passport fee awaiting payment for a day.
pub(super) fn passport_request(code: &PaymentCode, tyiyn: i64) -> PaymentRequest {
    PaymentRequest {
        code: code.clone(),
        service: ServiceKind::Passport,
        applicant_name: "Асанов Бакыт".into(),
        amount: Money::from_tyiyn(tyiyn).unwrap(),
        status: RequestStatus::AwaitingPayment,
        expires_at: Utc::now() + chrono::Duration::days(1),
    }
}

struct Fixture {
    store: Arc<dyn PaymentStore>,
    code: PaymentCode,
    _dir: tempfile::TempDir,
}

async fn fixture(postgres: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        testing::fresh_postgres_url().await
    } else {
        testing::sqlite_url(dir.path())
    };
    let store = connect(&url).await.unwrap();
    crate::documents::seed(store.as_ref(), Utc::now())
        .await
        .unwrap();
    let code = PaymentCode::parse("11202600000001").unwrap();
    let request = passport_request(&code, 220_000);
    store.insert_request(&request, Utc::now()).await.unwrap();
    Fixture {
        store,
        code,
        _dir: dir,
    }
}

/// The id a test calls `label`: ids are 32 hex digits, tests name theirs.
/// They live for the whole run, as a test's labels do.
fn pid(label: &str) -> &'static PaymentId {
    Box::leak(Box::new(PaymentId::from_u128(label_bits(label))))
}

fn key(label: &str) -> &'static IdempotencyKey {
    Box::leak(Box::new(IdempotencyKey::from_u128(label_bits(label))))
}

/// FNV-1a, so that every label is a different id.
fn label_bits(label: &str) -> u128 {
    label
        .bytes()
        .fold(0x6c62272e07bb014262b821756295c58d, |hash, byte| {
            (hash ^ u128::from(byte)).wrapping_mul(0x0000000001000000000000000000013b)
        })
}

fn new_payment<'a>(code: &'a PaymentCode, id: &str, idempotency_key: &str) -> NewPayment<'a> {
    NewPayment {
        id: pid(id),
        idempotency_key: key(idempotency_key),
        code,
        brand: CardBrand::Visa,
        first_six: "411111",
        last_four: "1111",
        cardholder: "AIBEK ASANOV",
        privacy_policy_edition: 1,
        user_agreement_edition: 1,
        at: Utc::now(),
        subjects: Subjects {
            client: Some("client-1"),
            browser: None,
            card_fingerprint: Some("card-1"),
        },
    }
}

fn reason(reason: &str) -> Change<'_> {
    Change {
        reason,
        ..Change::default()
    }
}

async fn states(store: &dyn PaymentStore, id: &str) -> Vec<(Option<PaymentState>, PaymentState)> {
    store
        .events(pid(id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.from, e.to))
        .collect()
}

async fn a_payment_is_authorising_before_the_acquirer_and_final_after(postgres: bool) {
    let f = fixture(postgres).await;
    f.store
        .begin_payment(new_payment(&f.code, "p1", "k1"))
        .await
        .unwrap();
    assert_eq!(
        f.store.payment(pid("p1")).await.unwrap().unwrap().state,
        Authorising
    );
    f.store
        .advance(
            pid("p1"),
            Authorising,
            Succeeded,
            Change {
                reason: "approved",
                reference: Some("R1"),
                ..Change::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        states(f.store.as_ref(), "p1").await,
        vec![
            (None, Created),
            (Some(Created), Authorising),
            (Some(Authorising), Succeeded)
        ]
    );
    let receipt = f.store.approved_payment(pid("p1")).await.unwrap().unwrap();
    assert_eq!(receipt.reference, "R1");
    let request = f.store.find_request(&f.code).await.unwrap().unwrap();
    assert_eq!(request.status, RequestStatus::Paid);
}

async fn a_final_payment_is_never_overwritten(postgres: bool) {
    let f = fixture(postgres).await;
    f.store
        .begin_payment(new_payment(&f.code, "p2", "k2"))
        .await
        .unwrap();
    f.store
        .advance(
            pid("p2"),
            Authorising,
            Failed,
            reason("refused"),
            Utc::now(),
        )
        .await
        .unwrap();
    let late = f
        .store
        .advance(
            pid("p2"),
            Authorising,
            Succeeded,
            reason("late"),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        late,
        StoreError::StateChanged {
            expected: Authorising
        }
    ));
    let forbidden = f
        .store
        .advance(
            pid("p2"),
            Failed,
            Succeeded,
            reason("forbidden"),
            Utc::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(forbidden, StoreError::InvalidTransition(_)));
    assert!(f.store.approved_payment(pid("p2")).await.unwrap().is_none());
    assert_eq!(states(f.store.as_ref(), "p2").await.len(), 3);
}

async fn a_key_is_used_once_and_a_code_is_held_by_one_live_payment(postgres: bool) {
    let f = fixture(postgres).await;
    f.store
        .begin_payment(new_payment(&f.code, "p3", "k3"))
        .await
        .unwrap();
    let again = f
        .store
        .begin_payment(new_payment(&f.code, "p4", "k3"))
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::DuplicateKey), "{again:?}");
    let other_key = f
        .store
        .begin_payment(new_payment(&f.code, "p5", "k5"))
        .await
        .unwrap_err();
    assert!(matches!(other_key, StoreError::CodeBusy), "{other_key:?}");
    assert_eq!(
        f.store.payment_by_key(key("k3")).await.unwrap().unwrap().id,
        *pid("p3")
    );

    // A decline frees the code for another attempt with a new key.
    f.store
        .advance(
            pid("p3"),
            Authorising,
            Declined,
            reason("declined"),
            Utc::now(),
        )
        .await
        .unwrap();
    f.store
        .begin_payment(new_payment(&f.code, "p6", "k6"))
        .await
        .unwrap();
    f.store
        .advance(
            pid("p6"),
            Authorising,
            Succeeded,
            reason("approved"),
            Utc::now(),
        )
        .await
        .unwrap();
    let after_success = f
        .store
        .begin_payment(new_payment(&f.code, "p7", "k7"))
        .await
        .unwrap_err();
    // The request is paid: that is the reason, before the held code.
    assert!(
        matches!(after_success, StoreError::NotPayable),
        "{after_success:?}"
    );
}

async fn a_payment_begins_only_for_a_payable_request_under_the_editions_in_force(postgres: bool) {
    let f = fixture(postgres).await;
    let amount = f
        .store
        .begin_payment(new_payment(&f.code, "q1", "kq1"))
        .await
        .unwrap();
    assert_eq!(amount.tyiyn(), 220_000, "the request's amount");

    let unknown = PaymentCode::parse("11202600000999").unwrap();
    let refused = f
        .store
        .begin_payment(new_payment(&unknown, "q2", "kq2"))
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotPayable), "{refused:?}");

    let expired = PaymentCode::parse("11202600000002").unwrap();
    let request = PaymentRequest {
        expires_at: Utc::now() - chrono::Duration::seconds(1),
        ..passport_request(&expired, 100)
    };
    f.store.insert_request(&request, Utc::now()).await.unwrap();
    let refused = f
        .store
        .begin_payment(new_payment(&expired, "q3", "kq3"))
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::NotPayable), "{refused:?}");

    // Edition 2 of the privacy policy takes effect in an hour: until then,
    // accepting it is refused and edition 1 is accepted; after, the reverse.
    let free = PaymentCode::parse("11202600000003").unwrap();
    f.store
        .insert_request(
            &PaymentRequest {
                code: free.clone(),
                expires_at: Utc::now() + chrono::Duration::days(2),
                ..request
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let in_an_hour = Utc::now() + chrono::Duration::hours(1);
    f.store
        .insert_edition(&EditionRecord {
            document: "privacy-policy".into(),
            edition: 2,
            language: "ru".into(),
            effective_from: in_an_hour,
            source: "# Политика\n\nРедакция 2.".into(),
            published_by: "test".into(),
            published_at: Utc::now(),
        })
        .await
        .unwrap();
    let mut too_early = new_payment(&free, "q4", "kq4");
    too_early.privacy_policy_edition = 2;
    let refused = f.store.begin_payment(too_early).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::EditionsChanged),
        "{refused:?}"
    );
    let mut outdated = new_payment(&free, "q5", "kq5");
    outdated.at = in_an_hour + chrono::Duration::seconds(1);
    let refused = f.store.begin_payment(outdated).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::EditionsChanged),
        "{refused:?}"
    );
    let mut current = new_payment(&free, "q6", "kq6");
    current.privacy_policy_edition = 2;
    current.at = in_an_hour + chrono::Duration::seconds(1);
    assert_eq!(f.store.begin_payment(current).await.unwrap().tyiyn(), 100);
    for refused in ["q2", "q3", "q4", "q5"] {
        assert!(
            f.store.payment(pid(refused)).await.unwrap().is_none(),
            "{refused}"
        );
    }
}

/// Many payments begun and moved at once share commits, and each one is
/// answered for itself: its own amount, its own refusal, its own move.
async fn concurrent_writes_are_answered_each_for_itself(postgres: bool) {
    let f = fixture(postgres).await;
    let codes: Vec<PaymentCode> = (0..40)
        .map(|n| PaymentCode::parse(&format!("112026{:08}", 100 + n)).unwrap())
        .collect();
    for (n, code) in codes.iter().enumerate() {
        let request = passport_request(code, 1_000 + n as i64);
        f.store.insert_request(&request, Utc::now()).await.unwrap();
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, code) in codes.iter().enumerate() {
        // Two attempts per code with different keys: one begins, one is refused.
        for attempt in 0..2 {
            let store = f.store.clone();
            let code = code.clone();
            tasks.spawn(async move {
                let id = format!("c{n}a{attempt}");
                let key = format!("k{n}a{attempt}");
                let begun = store.begin_payment(new_payment(&code, &id, &key)).await;
                let moved = match begun {
                    Ok(_) => Some(
                        store
                            .advance(pid(&id), Authorising, Succeeded, reason("ok"), Utc::now())
                            .await,
                    ),
                    Err(_) => None,
                };
                (n, begun, moved)
            });
        }
    }
    let mut begun_per_code = vec![0; codes.len()];
    for (n, begun, moved) in tasks.join_all().await {
        match begun {
            Ok(amount) => {
                assert_eq!(amount.tyiyn(), 1_000 + n as i64);
                assert!(matches!(moved, Some(Ok(()))), "{moved:?}");
                begun_per_code[n] += 1;
            }
            Err(StoreError::CodeBusy | StoreError::NotPayable) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(begun_per_code.iter().all(|&n| n == 1), "{begun_per_code:?}");
    assert_eq!(
        f.store.payments_in_state(Succeeded).await.unwrap().len(),
        40
    );
    for code in &codes {
        let request = f.store.find_request(code).await.unwrap().unwrap();
        assert_eq!(request.status, RequestStatus::Paid);
    }
}

async fn unsettled_and_abandoned_payments_are_found(postgres: bool) {
    let f = fixture(postgres).await;
    let then = Utc::now() - chrono::Duration::minutes(100);
    let mut old = new_payment(&f.code, "p8", "k8");
    old.at = then;
    f.store.begin_payment(old).await.unwrap();
    let unsettled = f
        .store
        .unsettled_payments(Utc::now() - chrono::Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(unsettled.len(), 1, "a stale authorising payment");
    let recent = f.store.unsettled_payments(then, 10).await.unwrap();
    assert!(recent.is_empty(), "not stale yet");
    // Monitoring's view: one payment waiting, since its record's time.
    let backlog = f.store.backlog().await.unwrap();
    assert_eq!(backlog.unsettled_payments, 1);
    let oldest = backlog.oldest_unsettled.expect("the oldest's time");
    assert!(
        (oldest - then).num_seconds().abs() <= 1,
        "{oldest} against {then}"
    );

    f.store
        .advance(
            pid("p8"),
            Authorising,
            ThreeDsRequired,
            Change {
                reason: "challenge",
                challenge_url: Some("/sandbox/acs/t"),
                ..Change::default()
            },
            then,
        )
        .await
        .unwrap();
    let abandoned = f
        .store
        .abandoned_payments(Utc::now() - chrono::Duration::minutes(90), 10)
        .await
        .unwrap();
    assert_eq!(abandoned.len(), 1);
    assert_eq!(
        abandoned[0].challenge_url.as_deref(),
        Some("/sandbox/acs/t")
    );
    f.store
        .advance(
            pid("p8"),
            ThreeDsRequired,
            Expired,
            reason("abandoned"),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(f.store.payments_in_state(Expired).await.unwrap().len(), 1);
    assert_eq!(
        f.store.backlog().await.unwrap(),
        crate::storage::Backlog::default(),
        "nothing waits once it expired"
    );
    // Expiry frees the code.
    f.store
        .begin_payment(new_payment(&f.code, "p9", "k9"))
        .await
        .unwrap();
}

async fn concurrent_transitions_let_exactly_one_win(postgres: bool) {
    let f = fixture(postgres).await;
    f.store
        .begin_payment(new_payment(&f.code, "p10", "k10"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let store = f.store.clone();
        let to = if i % 2 == 0 { Succeeded } else { Unknown };
        tasks.push(tokio::spawn(async move {
            store
                .advance(pid("p10"), Authorising, to, reason("race"), Utc::now())
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::StateChanged { .. }) => {}
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(states(f.store.as_ref(), "p10").await.len(), 3);
}

/// A write that fails inside a shared commit is undone alone: the others
/// of its batch are written, and it leaves no trace.
async fn a_failing_write_spoils_only_itself(postgres: bool) {
    let f = fixture(postgres).await;
    let other = PaymentCode::parse("11202600000004").unwrap();
    let request = passport_request(&other, 500);
    f.store.insert_request(&request, Utc::now()).await.unwrap();
    let good = {
        let store = f.store.clone();
        let code = f.code.clone();
        tokio::spawn(async move { store.begin_payment(new_payment(&code, "g1", "kg1")).await })
    };
    let bad = {
        let store = f.store.clone();
        tokio::spawn(async move {
            // Five digits break the table's check on the first six.
            let mut payment = new_payment(&other, "b1", "kb1");
            payment.first_six = "41111";
            store.begin_payment(payment).await
        })
    };
    let (good, bad) = (good.await.unwrap(), bad.await.unwrap());
    assert_eq!(good.unwrap().tyiyn(), 220_000);
    assert!(bad.is_err(), "{bad:?}");
    assert_eq!(
        f.store.payment(pid("g1")).await.unwrap().unwrap().state,
        Authorising
    );
    assert!(f.store.payment(pid("b1")).await.unwrap().is_none());
    assert!(f.store.events(pid("b1")).await.unwrap().is_empty());
    assert_eq!(states(f.store.as_ref(), "g1").await.len(), 2);
}

async fn attempts_are_tallied_by_subject_and_by_site(postgres: bool) {
    let f = fixture(postgres).await;
    let before = Utc::now() - chrono::Duration::seconds(1);
    f.store
        .begin_payment(new_payment(&f.code, "t1", "kt1"))
        .await
        .unwrap();
    f.store
        .advance(
            pid("t1"),
            Authorising,
            Declined,
            reason("do not honour"),
            Utc::now(),
        )
        .await
        .unwrap();
    f.store
        .begin_payment(new_payment(&f.code, "t2", "kt2"))
        .await
        .unwrap();
    let subjects = Subjects {
        client: Some("client-1"),
        browser: Some("nobody"),
        card_fingerprint: Some("card-1"),
    };
    let tallies = f
        .store
        .tallies(subjects, &f.code, before, true)
        .await
        .unwrap();
    let attempts_only = f
        .store
        .tallies(subjects, &f.code, before, false)
        .await
        .unwrap();
    assert_eq!(
        (attempts_only.client.attempts, attempts_only.client.declines),
        (2, 0),
        "attempts alone"
    );
    let two_one = Tally {
        attempts: 2,
        declines: 1,
    };
    assert_eq!(tallies.client, two_one);
    assert_eq!(tallies.card, two_one);
    assert_eq!(tallies.code, two_one);
    assert_eq!(tallies.browser, Tally::default());
    let later = Utc::now() + chrono::Duration::seconds(1);
    let none = f
        .store
        .tallies(subjects, &f.code, later, true)
        .await
        .unwrap();
    assert_eq!(none.client, Tally::default(), "outside the window");
    assert_eq!(f.store.site_tally(before).await.unwrap(), two_one);
    assert!(!f.store.ever_paid(subjects).await.unwrap());
    f.store
        .advance(
            pid("t2"),
            Authorising,
            Succeeded,
            reason("approved"),
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(f.store.ever_paid(subjects).await.unwrap());
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::$name(false).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::$name(true).await
            })*
        }
    };
}

on_both!(
    a_payment_is_authorising_before_the_acquirer_and_final_after,
    a_final_payment_is_never_overwritten,
    a_key_is_used_once_and_a_code_is_held_by_one_live_payment,
    unsettled_and_abandoned_payments_are_found,
    concurrent_transitions_let_exactly_one_win,
    a_payment_begins_only_for_a_payable_request_under_the_editions_in_force,
    concurrent_writes_are_answered_each_for_itself,
    a_failing_write_spoils_only_itself,
    attempts_are_tallied_by_subject_and_by_site,
);
