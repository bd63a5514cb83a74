//! Test helpers, compiled only for tests: fresh databases (a SQLite file in
//! a temporary directory, or a new database on the PostgreSQL server the
//! test command starts with `scripts/postgres.sh`, which exports
//! `TOLEM_TEST_POSTGRES`), and the watch that fails a test run whose servers
//! sent a card number back or logged one ([`card_watch`]).

pub mod card_watch;

use sqlx::Connection;

/// The variable holding the URL of a PostgreSQL server's `postgres` database
/// that tests may create databases on.
pub const POSTGRES_ADMIN_URL_VAR: &str = "TOLEM_TEST_POSTGRES";

/// Creates an empty database on the test PostgreSQL server and returns its URL.
///
/// # Panics
/// When no server is configured: the PostgreSQL tests must not pass silently
/// without one. Run them through `scripts/test.sh`, which starts a server.
pub async fn fresh_postgres_url() -> String {
    let admin = std::env::var(POSTGRES_ADMIN_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_ADMIN_URL_VAR} is not set: run the tests through scripts/test.sh, \
             or start a server with `source scripts/postgres.sh`"
        )
    });
    let name = format!("tolem_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("create a test database");
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin);
    format!("{base}/{name}")
}

/// A SQLite URL for a file in `dir`.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("tolem.db").display())
}
