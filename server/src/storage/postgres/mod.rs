//! The PostgreSQL backend, for several servers behind a load balancer.
//!
//! Every read and single write runs in a task of its own that the request
//! only awaits: a request that goes away never drops a query halfway, so a
//! connection always goes back to the pool whole. Waiting for a connection
//! is bounded by the store's wait. Payment writes are committed in batches,
//! each batch one statement ([`batch`]).

mod batch;

use super::StoreError;
use super::backend::{Backend, Connections, StoreOptions};
use super::group_commit::{MAX_BATCH, Write, WriteQueue, commit};
use super::pressure::Pressure;
use super::queries::numbered;
use super::values::{Decode, Row, Statement, Value};
use async_trait::async_trait;
use batch::PostgresBatches;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row as _};
use std::sync::Arc;

/// Batches in flight at once: while one is being committed the next
/// gathers. Measured on two cores against one, three, four and six, two
/// gave the most payments per second and the least CPU per payment: one
/// leaves a core idle during each commit, more cut the batches smaller.
const WORKERS: usize = 2;

pub struct PostgresBackend {
    pool: PgPool,
    writes: WriteQueue<Write>,
    pressure: Arc<Pressure>,
    /// The longest a caller waits, for a connection and its work together.
    wait: std::time::Duration,
}

impl PostgresBackend {
    /// Connects to the server and applies the migrations (PostgreSQL's
    /// advisory lock lets several servers start at once).
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<PostgresBackend, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(options.postgres_connections as u32)
            .acquire_timeout(options.wait)
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        // The batch statement is prepared once per connection and its plan
        // kept. Its joins are lookups of a batch's rows by key, so these
        // connections may only plan index lookups: left to itself, the
        // planner makes its plan while `payments` is tiny on a new database
        // and picks a hash join over a scan of the table, which the kept
        // plan then repeats for every batch however large the table grows.
        let batches = PgPoolOptions::new()
            .max_connections(WORKERS as u32)
            .acquire_timeout(options.wait)
            .after_connect(|connection, _| {
                Box::pin(async move {
                    connection
                        .execute(
                            "SET plan_cache_mode = force_generic_plan;
                             SET enable_seqscan = off;
                             SET enable_hashjoin = off;
                             SET enable_mergejoin = off",
                        )
                        .await
                        .map(drop)
                })
            })
            .connect(url)
            .await?;
        let batches = Arc::new(PostgresBatches { pool: batches });
        let writes = WriteQueue::start(WORKERS, MAX_BATCH, move |batch| {
            let batches = batches.clone();
            async move { commit(batches.as_ref(), batch).await }
        });
        Ok(PostgresBackend {
            pool,
            writes,
            pressure: Arc::new(Pressure::default()),
            wait: options.wait,
        })
    }

    /// Runs `work` with the pool in a task of its own and awaits it, for
    /// the store's wait at most: a query stuck behind a lock answers busy
    /// and finishes on its own, its connection going back to the pool then.
    async fn spawned<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, sqlx::Error>> + Send + 'static,
    {
        let Ok(done) = tokio::time::timeout(self.wait, tokio::spawn(work)).await else {
            self.pressure.busy("postgres: no answer within the wait");
            return Err(StoreError::Busy);
        };
        match done {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(sqlx::Error::PoolTimedOut)) => {
                self.pressure.busy("postgres: no connection free in time");
                Err(StoreError::Busy)
            }
            Ok(Err(error)) => Err(error.into()),
            Err(join) => Err(StoreError::Thread(join.to_string())),
        }
    }
}

fn bind(statement: &Statement) -> (String, PgArguments) {
    use sqlx::Arguments;
    let mut args = PgArguments::default();
    for value in &statement.args {
        // Encoding these types cannot fail.
        let _ = match value {
            Value::Text(text) => args.add(text.clone()),
            Value::Int(n) => args.add(*n),
            Value::Time(at) => args.add(*at),
            Value::Null => args.add(Option::<String>::None),
            Value::NullInt => args.add(Option::<i64>::None),
            Value::NullTime => args.add(Option::<chrono::DateTime<chrono::Utc>>::None),
        };
    }
    (numbered(&statement.sql).into_owned(), args)
}

#[async_trait]
impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        let pool = self.pool.clone();
        let rows = self
            .spawned(async move {
                let (sql, args) = bind(&statement);
                sqlx::query_with(&sql, args).fetch_all(&pool).await
            })
            .await?;
        rows.iter().map(|row| decode(&PostgresRow(row))).collect()
    }

    async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        self.spawned(async move {
            let (sql, args) = bind(&statement);
            let done = sqlx::query_with(&sql, args).execute(&pool).await?;
            Ok(done.rows_affected())
        })
        .await
    }

    async fn execute_all(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError> {
        let pool = self.pool.clone();
        self.spawned(async move {
            let mut tx = pool.begin().await?;
            let mut changed = Vec::with_capacity(statements.len());
            for statement in &statements {
                let (sql, args) = bind(statement);
                let done = sqlx::query_with(&sql, args).execute(&mut *tx).await?;
                changed.push(done.rows_affected());
            }
            tx.commit().await?;
            Ok(changed)
        })
        .await
    }

    async fn execute_guarded(&self, statements: Vec<Statement>) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        self.spawned(async move {
            let mut tx = pool.begin().await?;
            for statement in &statements {
                let (sql, args) = bind(statement);
                let done = sqlx::query_with(&sql, args).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn now(&self) -> Result<DateTime<Utc>, StoreError> {
        let pool = self.pool.clone();
        self.spawned(async move {
            let row = sqlx::query("SELECT now()").fetch_one(&pool).await?;
            row.try_get::<DateTime<Utc>, _>(0)
        })
        .await
    }

    async fn push(&self, write: Write) -> Result<(), StoreError> {
        self.writes.push(write).await
    }

    fn connections(&self) -> Connections {
        let size = self.pool.options().get_max_connections() as usize;
        // Connections not yet opened are as free as idle ones.
        let open = self.pool.size() as usize;
        Connections {
            size,
            idle: self.pool.num_idle() + size.saturating_sub(open),
            turned_away: self.pressure.total(),
        }
    }
}

struct PostgresRow<'a>(&'a PgRow);

impl Row for PostgresRow<'_> {
    fn text(&self, column: usize) -> Result<Option<String>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn int(&self, column: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn time(&self, column: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.0.try_get(column)?)
    }
}
