//! A database that stops answering: every wait ends busy within the store's
//! wait, nothing hangs, and everything works again once it answers.

use super::*;
use crate::testing;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_millis(300);

/// A connection in a transaction holding an exclusive lock on the payment
/// requests, so that PostgreSQL reads of them wait until it is dropped
/// (closing it ends the transaction).
async fn lock_requests(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE payment_requests IN ACCESS EXCLUSIVE MODE")
        .execute(&mut connection)
        .await
        .unwrap();
    connection
}

/// Waits until every connection is back and free (a connection goes back a
/// moment after its answer).
async fn all_free(store: &dyn PaymentStore) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.connections().idle != store.connections().size {
        assert!(Instant::now() < deadline, "{:?}", store.connections());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_stuck_database_answers_busy_in_time_and_recovers(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        testing::fresh_postgres_url().await
    } else {
        testing::sqlite_url(dir.path())
    };
    let options = StoreOptions {
        wait: WAIT,
        sqlite_readers: 2,
        postgres_connections: 2,
    };
    // SQLite in WAL mode lets nothing outside block its readers: they are
    // kept busy from inside instead, for as long as the lock lasts here.
    const STUCK_FOR: Duration = Duration::from_millis(1500);
    let (store, sqlite): (Arc<dyn PaymentStore>, _) = if postgres {
        (connect_with(&url, &options).await.unwrap(), None)
    } else {
        let backend = sqlite::SqliteBackend::connect(&url, &options)
            .await
            .unwrap();
        let store = Arc::new(SqlStore::new(backend));
        (store.clone(), Some(store))
    };
    let code = PaymentCode::parse("11202600000001").unwrap();
    let request = super::tests::passport_request(&code, 220_000);
    store.insert_request(&request, Utc::now()).await.unwrap();
    all_free(store.as_ref()).await;

    let lock = match &sqlite {
        Some(store) => {
            store.backend().inner().occupy_readers(STUCK_FOR);
            None
        }
        None => Some(lock_requests(&url).await),
    };
    let started = Instant::now();
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (store, code) = (store.clone(), code.clone());
        reads.spawn(async move { store.find_request(&code).await });
    }
    while let Some(read) = reads.join_next().await {
        let read = read.unwrap();
        assert!(matches!(read, Err(StoreError::Busy)), "{read:?}");
    }
    assert!(
        started.elapsed() < WAIT * 3,
        "answered busy within the wait, not after the lock: {:?}",
        started.elapsed()
    );
    assert!(store.connections().turned_away >= 6);
    let ready = tokio::time::timeout(Duration::from_secs(1), store.check_ready(Utc::now())).await;
    assert!(!matches!(ready, Ok(Ok(()))), "not ready while stuck");

    drop(lock);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(found)) = store.find_request(&code).await {
            assert_eq!(found.applicant_name, request.applicant_name);
            break;
        }
        assert!(Instant::now() < deadline, "reads work again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    all_free(store.as_ref()).await;
    // Ready again within seconds (the writes queued while stuck finish
    // first; on a loaded machine one check may still miss its wait).
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Err(error) = store.check_ready(Utc::now()).await {
        assert!(Instant::now() < deadline, "ready again: {error}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sqlite_a_stuck_database_answers_busy_in_time_and_recovers() {
    a_stuck_database_answers_busy_in_time_and_recovers(false).await
}

#[tokio::test]
async fn postgres_a_stuck_database_answers_busy_in_time_and_recovers() {
    a_stuck_database_answers_busy_in_time_and_recovers(true).await
}
