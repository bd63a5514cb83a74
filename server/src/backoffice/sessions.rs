//! Staff sessions: tower-sessions with its sqlx store, in the project's
//! database (SQLite or PostgreSQL, so every server behind a load balancer
//! sees them), with a cookie that is `HttpOnly`, `SameSite=Strict`,
//! `Secure` when the site is served over https and sent only to `/admin`.
//! A session ends after `idle_timeout` unused (the cookie's and the
//! record's expiry) and `absolute_timeout` after its sign-in (checked by
//! `super::guard`). What a session holds is typed here.

use crate::config::StaffSettings;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

pub const COOKIE: &str = "tolem_staff";
/// The session's keys.
pub const CSRF: &str = "csrf";
pub const PENDING: &str = "pending";
pub const SIGNED_IN: &str = "staff";

/// Between the password and the code: whose password was right, when,
/// and the secret being enrolled at a first sign-in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    pub staff_id: String,
    pub at: i64,
    pub enrol: Option<String>,
}

/// A signed-in staff member: the account and the credentials' version it
/// signed in with (a reset or a new role raises it and so ends this).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedIn {
    pub staff_id: String,
    pub version: i64,
    pub at: i64,
}

/// The store of whichever database the site runs on.
#[derive(Clone, Debug)]
pub enum StaffSessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl StaffSessions {
    /// A small pool of its own on the site's database; the table is made by
    /// the migrations.
    pub async fn open(database_url: &str) -> Result<StaffSessions, sqlx::Error> {
        if database_url.starts_with("sqlite:") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(database_url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10));
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await?;
            let store = SqliteStore::new(pool)
                .with_table_name("staff_sessions")
                .map_err(|e| sqlx::Error::Configuration(e.into()))?;
            Ok(StaffSessions::Sqlite(store))
        } else {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(2))
                .connect(database_url)
                .await?;
            let store = PostgresStore::new(pool)
                .with_schema_name("public")
                .and_then(|s| s.with_table_name("staff_sessions"))
                .map_err(|e| sqlx::Error::Configuration(e.into()))?;
            Ok(StaffSessions::Postgres(store))
        }
    }

    /// The layer that loads and saves sessions around back-office requests.
    pub fn layer(&self, settings: &StaffSettings, secure: bool) -> SessionManagerLayer<Self> {
        let idle = tower_sessions::cookie::time::Duration::seconds(
            i64::try_from(settings.idle_timeout.as_secs()).unwrap_or(i64::MAX),
        );
        SessionManagerLayer::new(self.clone())
            .with_name(COOKIE)
            .with_path("/admin")
            .with_http_only(true)
            .with_same_site(SameSite::Strict)
            .with_secure(secure)
            .with_expiry(Expiry::OnInactivity(idle))
    }

    /// Deletes expired sessions every `period`, for as long as the server runs.
    pub fn sweep(&self, period: Duration) {
        let store = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                every.tick().await;
                if let Err(error) = store.delete_expired().await {
                    tracing::warn!(%error, "deleting expired staff sessions failed");
                }
            }
        });
    }
}

#[async_trait]
impl ExpiredDeletion for StaffSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            StaffSessions::Sqlite(s) => s.delete_expired().await,
            StaffSessions::Postgres(s) => s.delete_expired().await,
        }
    }
}

#[async_trait]
impl SessionStore for StaffSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            StaffSessions::Sqlite(s) => s.create(record).await,
            StaffSessions::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            StaffSessions::Sqlite(s) => s.save(record).await,
            StaffSessions::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            StaffSessions::Sqlite(s) => s.load(id).await,
            StaffSessions::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            StaffSessions::Sqlite(s) => s.delete(id).await,
            StaffSessions::Postgres(s) => s.delete(id).await,
        }
    }
}
