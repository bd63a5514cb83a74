//! The SQLite backend: one file, zero setup. Reads go to a few reader
//! threads ([`readers`]), every write to one writer thread ([`writer`]),
//! each thread owning its connection for its whole life; requests only hand
//! them jobs and await the answers. The payment writes of a batch are in
//! [`batch`].

mod batch;
mod readers;
mod writer;

use super::StoreError;
use super::backend::{Backend, Connections, StoreOptions};
use super::group_commit::Write;
use super::pressure::Pressure;
use super::values::{Decode, Row, Statement, Value, parse_sqlite_time, sqlite_time};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use readers::Readers;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use writer::Writer;

pub struct SqliteBackend {
    readers: Readers,
    writer: Writer,
    pressure: Arc<Pressure>,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database file, applies the migrations
    /// and starts the reader and writer threads.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<SqliteBackend, StoreError> {
        let connect = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let path = connect.get_filename().to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Thread(e.to_string()))?;
        }
        // sqlx keeps the migrations (and their record in the database); it
        // is used for that alone, once, at start-up.
        let migrator = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(connect)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&migrator).await?;
        migrator.close().await;
        let pressure = Arc::new(Pressure::default());
        Ok(SqliteBackend {
            readers: Readers::start(
                &path,
                options.sqlite_readers,
                options.wait,
                pressure.clone(),
            )?,
            writer: Writer::start(&path, options.wait, pressure.clone())?,
            pressure,
        })
    }
}

impl SqliteBackend {
    /// Keeps every reader busy for `time` (tests only).
    #[cfg(test)]
    pub(super) fn occupy_readers(&self, time: Duration) {
        self.readers.occupy(time);
    }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.readers
            .run(move |connection| {
                // Built statements are prepared afresh: their many shapes
                // would push the site's hot statements out of the cache.
                let (mut cached, mut fresh);
                let prepared: &mut rusqlite::Statement = match &statement.sql {
                    std::borrow::Cow::Borrowed(sql) => {
                        cached = connection.prepare_cached(sql)?;
                        &mut cached
                    }
                    std::borrow::Cow::Owned(sql) => {
                        fresh = connection.prepare(sql)?;
                        &mut fresh
                    }
                };
                let mut rows = prepared.query(rusqlite::params_from_iter(statement.args.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(decode(&SqliteRow(row))?);
                }
                Ok(out)
            })
            .await
    }

    async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        self.writer
            .run(move |tx| {
                let changed = tx
                    .prepare_cached(&statement.sql)?
                    .execute(rusqlite::params_from_iter(statement.args.iter()))?;
                Ok(changed as u64)
            })
            .await
    }

    async fn execute_all(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError> {
        self.writer
            .run(move |tx| {
                let mut changed = Vec::with_capacity(statements.len());
                for statement in &statements {
                    let rows = tx
                        .prepare_cached(&statement.sql)?
                        .execute(rusqlite::params_from_iter(statement.args.iter()))?;
                    changed.push(rows as u64);
                }
                Ok(changed)
            })
            .await
    }

    async fn execute_guarded(&self, statements: Vec<Statement>) -> Result<bool, StoreError> {
        self.writer
            .run(move |tx| {
                // The writer commits what its work leaves; a savepoint
                // undoes this work alone when a guard refuses.
                tx.execute_batch("SAVEPOINT guarded")?;
                for statement in &statements {
                    let rows = tx
                        .prepare_cached(&statement.sql)?
                        .execute(rusqlite::params_from_iter(statement.args.iter()))?;
                    if rows == 0 {
                        tx.execute_batch("ROLLBACK TO guarded; RELEASE guarded")?;
                        return Ok(false);
                    }
                }
                tx.execute_batch("RELEASE guarded")?;
                Ok(true)
            })
            .await
    }

    async fn now(&self) -> Result<DateTime<Utc>, StoreError> {
        Ok(Utc::now())
    }

    async fn push(&self, write: Write) -> Result<(), StoreError> {
        self.writer.push(write).await
    }

    fn connections(&self) -> Connections {
        let (size, idle) = self.readers.connections();
        Connections {
            size,
            idle,
            turned_away: self.pressure.total(),
        }
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Int(n) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
            Value::Time(at) => ToSqlOutput::Owned(rusqlite::types::Value::Text(sqlite_time(*at))),
            Value::Null | Value::NullInt | Value::NullTime => {
                ToSqlOutput::Owned(rusqlite::types::Value::Null)
            }
        })
    }
}

struct SqliteRow<'a, 'b>(&'a rusqlite::Row<'b>);

impl Row for SqliteRow<'_, '_> {
    fn text(&self, column: usize) -> Result<Option<String>, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn int(&self, column: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.0.get(column)?)
    }

    fn time(&self, column: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
        let text: Option<String> = self.0.get(column)?;
        text.as_deref().map(parse_sqlite_time).transpose()
    }
}
