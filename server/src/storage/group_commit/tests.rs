//! The batch driver: one write per batch, rounds for repeated moves, a
//! refused batch written again one by one.

use super::*;
use std::sync::Mutex;

/// A backend that records each batch it is given and refuses, as a
/// whole, any batch holding a write for `bad`.
#[derive(Default)]
struct Recording {
    batches: Mutex<Vec<(Vec<String>, Vec<String>)>>,
}

const BAD: &str = "bad";

#[async_trait]
impl BatchWriter for Recording {
    async fn write(
        &self,
        begins: &[&BeginPayment],
        moves: &[&MovePayment],
    ) -> Result<Written, StoreError> {
        let begin_ids: Vec<String> = begins.iter().map(|b| b.id.clone()).collect();
        let move_ids: Vec<String> = moves.iter().map(|m| m.id.clone()).collect();
        self.batches
            .lock()
            .unwrap()
            .push((begin_ids.clone(), move_ids.clone()));
        if begin_ids.iter().chain(&move_ids).any(|id| id == BAD) {
            return Err(StoreError::Corrupt("refused by the test"));
        }
        let mut written = Written::default();
        for (n, id) in begin_ids.into_iter().enumerate() {
            written
                .begun
                .insert(id, Money::from_tyiyn(100 + n as i64).unwrap());
        }
        // The first move of each payment in a batch moves it.
        written.moved = move_ids.into_iter().collect();
        Ok(written)
    }
}

fn begin(id: &str) -> (Write, oneshot::Receiver<Result<Option<Money>, StoreError>>) {
    let (reply, answer) = oneshot::channel();
    let payment = BeginPayment {
        id: id.into(),
        idempotency_key: format!("key-{id}"),
        code: "11202600000001".into(),
        brand: "visa",
        first_six: "411111".into(),
        last_four: "1111".into(),
        cardholder: "AIBEK ASANOV".into(),
        privacy_policy_edition: 1,
        user_agreement_edition: 1,
        at: Utc::now(),
        client: None,
        browser: None,
        card_fingerprint: None,
    };
    (Write::Begin(payment, reply), answer)
}

fn move_of(id: &str) -> (Write, oneshot::Receiver<Result<bool, StoreError>>) {
    let (reply, answer) = oneshot::channel();
    let change = MovePayment {
        id: id.into(),
        from: PaymentState::Authorising,
        to: PaymentState::Succeeded,
        reason: "approved".into(),
        reference: None,
        decline_reason: None,
        challenge_url: None,
        at: Utc::now(),
    };
    (Write::Move(change, reply), answer)
}

#[tokio::test]
async fn a_batch_is_one_write_and_everyone_hears_their_own_answer() {
    let backend = Recording::default();
    let (a, a_answer) = begin("a");
    let (b, b_answer) = begin("b");
    let (m, m_answer) = move_of("m");
    commit(&backend, vec![a, m, b]).await;
    assert_eq!(
        *backend.batches.lock().unwrap(),
        vec![(vec!["a".to_string(), "b".into()], vec!["m".to_string()])]
    );
    assert_eq!(a_answer.await.unwrap().unwrap().unwrap().tyiyn(), 100);
    assert_eq!(b_answer.await.unwrap().unwrap().unwrap().tyiyn(), 101);
    assert!(m_answer.await.unwrap().unwrap());
}

#[tokio::test]
async fn a_second_move_of_a_payment_waits_for_the_next_round() {
    let backend = Recording::default();
    let (first, first_answer) = move_of("p");
    let (other, other_answer) = move_of("q");
    let (second, second_answer) = move_of("p");
    commit(&backend, vec![first, other, second]).await;
    assert_eq!(
        *backend.batches.lock().unwrap(),
        vec![
            (vec![], vec!["p".to_string(), "q".into()]),
            (vec![], vec!["p".to_string()]),
        ]
    );
    assert!(first_answer.await.unwrap().unwrap());
    assert!(other_answer.await.unwrap().unwrap());
    assert!(second_answer.await.unwrap().unwrap());
}

#[tokio::test]
async fn a_refused_batch_is_written_again_one_by_one_and_only_the_culprit_fails() {
    let backend = Recording::default();
    let (good, good_answer) = begin("good");
    let (bad, bad_answer) = begin(BAD);
    let (m, m_answer) = move_of("m");
    commit(&backend, vec![good, bad, m]).await;
    assert_eq!(
        *backend.batches.lock().unwrap(),
        vec![
            (vec!["good".to_string(), BAD.into()], vec!["m".to_string()]),
            (vec!["good".to_string()], vec![]),
            (vec![BAD.to_string()], vec![]),
            (vec![], vec!["m".to_string()]),
        ]
    );
    assert!(good_answer.await.unwrap().unwrap().is_some());
    assert!(matches!(
        bad_answer.await.unwrap(),
        Err(StoreError::Corrupt(_))
    ));
    assert!(m_answer.await.unwrap().unwrap());
}
