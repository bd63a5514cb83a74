//! The operator's staff accounts and the audit log, as stored. Every change
//! to an account is written in one transaction with its audit entry; the
//! audit log is only ever inserted into (the database refuses changes and
//! deletions: migrations `0010_staff.sql`).

use super::StoreError;
use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, Statement, Value, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::staff::Role;

/// A staff account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: String,
    /// Lower-cased.
    pub email: String,
    pub role: Role,
    /// argon2id, PHC string.
    pub password_hash: String,
    /// Base32; `None` until enrolled.
    pub totp_secret: Option<String>,
    pub last_totp_step: Option<i64>,
    pub failed_attempts: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub credentials_version: i64,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for StaffRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("locked_until", &self.locked_until)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    /// What was done: `sign_in`, `sign_in_failed`, `user_created`, ...
    pub action: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// The client's address.
    pub address: Option<String>,
    /// JSON of the record before and after, where the action changed data.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which audit entries to read, newest first.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor_email: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this one (keyset pagination).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// A change to an account, beside its audit entry.
#[derive(Clone, Debug)]
pub enum StaffChange<'a> {
    /// A failed sign-in: one more in a row; `lock_until` locks the account
    /// when the count reaches `lock_after`.
    Failed {
        lock_after: i64,
        lock_until: DateTime<Utc>,
    },
    /// A sign-in with the code of `step`; refused (false) if a code of that
    /// step or a later one was used already. `enrol` stores the secret the
    /// code was checked against (first sign-in).
    SignedIn {
        step: i64,
        enrol: Option<&'a str>,
        at: DateTime<Utc>,
    },
    /// A new password and second factor (`None`: enrolled at the next
    /// sign-in); the account is unlocked and older sessions end.
    Reset {
        password_hash: &'a str,
        totp_secret: Option<&'a str>,
    },
    Role(Role),
    Disabled(DateTime<Utc>),
    Enabled,
}

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// False when the email is taken.
    async fn add_staff(&self, staff: &StaffRecord, audit: &AuditEntry) -> Result<bool, StoreError>;
    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError>;
    async fn staff_by_id(&self, id: &str) -> Result<Option<StaffRecord>, StoreError>;
    async fn all_staff(&self) -> Result<Vec<StaffRecord>, StoreError>;
    /// Applies `change` with `audit` in one transaction; false when the
    /// account does not exist or the change's guard refused it.
    async fn change_staff(
        &self,
        id: &str,
        change: StaffChange<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    async fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError>;
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}

macro_rules! staff_columns {
    () => {
        "SELECT id, email, role, password_hash, totp_secret, last_totp_step, failed_attempts,
                locked_until, credentials_version, disabled_at, created_at
         FROM staff_users "
    };
}

const INSERT_STAFF: &str = "INSERT INTO staff_users
       (id, email, role, password_hash, totp_secret, created_at)
     SELECT ?, ?, ?, ?, ?, ?
     WHERE NOT EXISTS (SELECT 1 FROM staff_users WHERE email = ?)";
const BY_EMAIL: &str = concat!(staff_columns!(), "WHERE email = ?");
const BY_ID: &str = concat!(staff_columns!(), "WHERE id = ?");
const ALL: &str = concat!(staff_columns!(), "ORDER BY email");
const FAILED: &str = "UPDATE staff_users
     SET failed_attempts = failed_attempts + 1,
         locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END
     WHERE id = ?";
const SIGNED_IN: &str = "UPDATE staff_users
     SET last_totp_step = ?, failed_attempts = 0, locked_until = NULL,
         totp_secret = COALESCE(?, totp_secret),
         totp_confirmed_at = COALESCE(totp_confirmed_at, ?)
     WHERE id = ? AND (last_totp_step IS NULL OR last_totp_step < ?)";
const RESET: &str = "UPDATE staff_users
     SET password_hash = ?, totp_secret = ?, totp_confirmed_at = NULL,
         last_totp_step = NULL, failed_attempts = 0, locked_until = NULL,
         credentials_version = credentials_version + 1
     WHERE id = ?";
const ROLE: &str = "UPDATE staff_users
     SET role = ?, credentials_version = credentials_version + 1 WHERE id = ?";
const DISABLE: &str = "UPDATE staff_users
     SET disabled_at = ?, credentials_version = credentials_version + 1
     WHERE id = ? AND disabled_at IS NULL";
const ENABLE: &str = "UPDATE staff_users SET disabled_at = NULL, failed_attempts = 0,
         locked_until = NULL WHERE id = ? AND disabled_at IS NOT NULL";
const INSERT_AUDIT: &str = "INSERT INTO audit_log
       (at, actor_id, actor_email, action, record_type, record_id, address, before, after)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
/// The optional conditions compare against a typed `NULL` when unset, so
/// one statement serves every filter; the log is read by admins only, and
/// keyset pagination keeps each page a short walk down `seq`.
const AUDIT: &str = "SELECT seq, at, actor_id, actor_email, action, record_type, record_id,
            address, before, after
     FROM audit_log
     WHERE (CAST(? AS TEXT) IS NULL OR actor_email = ?)
       AND (CAST(? AS TEXT) IS NULL OR action = ?)
       AND (? IS NULL OR at >= ?)
       AND (? IS NULL OR at < ?)
       AND (? IS NULL OR seq < ?)
     ORDER BY seq DESC
     LIMIT ?";

fn staff(row: &dyn Row) -> Result<StaffRecord, StoreError> {
    let role = required(row.text(2)?, "staff role")?
        .parse()
        .map_err(|_| StoreError::Corrupt("staff role"))?;
    Ok(StaffRecord {
        id: required(row.text(0)?, "staff id")?,
        email: required(row.text(1)?, "staff email")?,
        role,
        password_hash: required(row.text(3)?, "staff password")?,
        totp_secret: row.text(4)?,
        last_totp_step: row.int(5)?,
        failed_attempts: row.int(6)?.unwrap_or(0),
        locked_until: row.time(7)?,
        credentials_version: required(row.int(8)?, "staff credentials version")?,
        disabled_at: row.time(9)?,
        created_at: required(row.time(10)?, "staff created")?,
    })
}

fn audit_entry(row: &dyn Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        seq: required(row.int(0)?, "audit seq")?,
        at: required(row.time(1)?, "audit at")?,
        actor_id: row.text(2)?,
        actor_email: row.text(3)?,
        action: required(row.text(4)?, "audit action")?,
        record_type: row.text(5)?,
        record_id: row.text(6)?,
        address: row.text(7)?,
        before: row.text(8)?,
        after: row.text(9)?,
    })
}

pub(super) fn insert_audit(audit: &AuditEntry) -> Statement {
    statement!(
        INSERT_AUDIT,
        audit.at,
        audit.actor_id.as_deref(),
        audit.actor_email.as_deref(),
        audit.action.as_str(),
        audit.record_type.as_deref(),
        audit.record_id.as_deref(),
        audit.address.as_deref(),
        audit.before.as_deref(),
        audit.after.as_deref(),
    )
}

#[async_trait]
impl<B: Backend> StaffStore for SqlStore<B> {
    async fn add_staff(&self, staff: &StaffRecord, audit: &AuditEntry) -> Result<bool, StoreError> {
        let insert = statement!(
            INSERT_STAFF,
            staff.id.as_str(),
            staff.email.as_str(),
            staff.role.as_str(),
            staff.password_hash.as_str(),
            staff.totp_secret.as_deref(),
            staff.created_at,
            staff.email.as_str(),
        );
        self.guarded(insert, audit).await
    }

    async fn staff_by_email(&self, email: &str) -> Result<Option<StaffRecord>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(BY_EMAIL, email), staff)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn staff_by_id(&self, id: &str) -> Result<Option<StaffRecord>, StoreError> {
        let rows = self.backend().fetch(statement!(BY_ID, id), staff).await?;
        Ok(rows.into_iter().next())
    }

    async fn all_staff(&self) -> Result<Vec<StaffRecord>, StoreError> {
        self.backend().fetch(statement!(ALL), staff).await
    }

    async fn change_staff(
        &self,
        id: &str,
        change: StaffChange<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let update = match change {
            StaffChange::Failed {
                lock_after,
                lock_until,
            } => statement!(FAILED, lock_after, lock_until, id),
            StaffChange::SignedIn { step, enrol, at } => {
                statement!(SIGNED_IN, step, enrol, at, id, step)
            }
            StaffChange::Reset {
                password_hash,
                totp_secret,
            } => statement!(RESET, password_hash, totp_secret, id),
            StaffChange::Role(role) => statement!(ROLE, role.as_str(), id),
            StaffChange::Disabled(at) => statement!(DISABLE, at, id),
            StaffChange::Enabled => statement!(ENABLE, id),
        };
        self.guarded(update, audit).await
    }

    async fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError> {
        self.backend().execute(insert_audit(audit)).await.map(drop)
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let actor = filter.actor_email.as_deref();
        let action = filter.action.as_deref();
        let args: Vec<Value> = vec![
            actor.into(),
            actor.into(),
            action.into(),
            action.into(),
            filter.from.into(),
            filter.from.into(),
            filter.until.into(),
            filter.until.into(),
            filter.before_seq.into(),
            filter.before_seq.into(),
            filter.limit.into(),
        ];
        self.backend()
            .fetch(Statement::new(AUDIT, args), audit_entry)
            .await
    }
}

impl<B: Backend> SqlStore<B> {
    /// Runs `change` and its audit entry in one transaction, both or
    /// neither: a change its guard refuses writes nothing.
    async fn guarded(&self, change: Statement, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.backend()
            .execute_guarded(vec![change, insert_audit(audit)])
            .await
    }
}
