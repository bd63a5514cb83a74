//! Values crossing into and out of SQL, named once for both databases: the
//! arguments of a statement ([`Value`], [`Statement`]) and the columns of a
//! row as the decoders read them ([`Row`]). Each backend binds and reads
//! them its own way (`super::sqlite`, `super::postgres`); the statements and
//! the decoders (`super::queries`) are written once.

use super::StoreError;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// An argument bound to a `?` of a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
    /// SQL `NULL` of a text column.
    Null,
    /// `NULL` of a number or time column: PostgreSQL takes a parameter's
    /// type from how it is bound, and a text `NULL` fits neither.
    NullInt,
    NullTime,
}

/// The `NULL` of a type's column.
pub trait Nullable {
    const NULL: Value;
}

impl Nullable for &str {
    const NULL: Value = Value::Null;
}

impl Nullable for String {
    const NULL: Value = Value::Null;
}

impl Nullable for i64 {
    const NULL: Value = Value::NullInt;
}

impl Nullable for DateTime<Utc> {
    const NULL: Value = Value::NullTime;
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<DateTime<Utc>> for Value {
    fn from(at: DateTime<Utc>) -> Value {
        Value::Time(at)
    }
}

impl<T: Into<Value> + Nullable> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(T::NULL, Into::into)
    }
}

/// A statement with `?` placeholders and its arguments, in order.
#[derive(Clone, Debug)]
pub struct Statement {
    /// Fixed text for the store's own statements; built at run time only
    /// where the filters choose the conditions (the back office's search).
    pub sql: std::borrow::Cow<'static, str>,
    pub args: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<std::borrow::Cow<'static, str>>, args: Vec<Value>) -> Statement {
        Statement {
            sql: sql.into(),
            args,
        }
    }
}

/// Builds a [`Statement`]: `statement!(SQL, a, b, ...)`.
macro_rules! statement {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::storage::values::Statement::new($sql, vec![$($crate::storage::values::Value::from($arg)),*])
    };
}
pub(crate) use statement;

/// One row of a result, its columns read by position (the order of the
/// `SELECT`). `None` is SQL `NULL`.
pub trait Row {
    fn text(&self, column: usize) -> Result<Option<String>, StoreError>;
    fn int(&self, column: usize) -> Result<Option<i64>, StoreError>;
    fn time(&self, column: usize) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Turns a row into a value; run where the row is read.
pub type Decode<T> = fn(&dyn Row) -> Result<T, StoreError>;

/// A column that may not be `NULL`.
pub fn required<T>(value: Option<T>, what: &'static str) -> Result<T, StoreError> {
    value.ok_or(StoreError::Corrupt(what))
}

/// A time as stored in SQLite: RFC 3339 in UTC with `+00:00`, as sqlx spelt
/// it before the store read SQLite itself. Stored times compare as text, so
/// every writer must spell them alike.
pub fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Reads a time stored in SQLite: RFC 3339, or SQLite's own
/// `YYYY-MM-DD HH:MM:SS[.fff]` (UTC), which `datetime()` writes.
pub fn parse_sqlite_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
        .ok_or(StoreError::Corrupt("a stored time"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_times_read_back_as_written() {
        let second = Utc.with_ymd_and_hms(2026, 11, 26, 10, 51, 8).unwrap();
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 999_999_999] {
            let at = second + chrono::Duration::nanoseconds(nanos);
            assert_eq!(parse_sqlite_time(&sqlite_time(at)).unwrap(), at);
        }
        assert_eq!(
            parse_sqlite_time("2026-11-26 10:51:08").unwrap(),
            second,
            "SQLite's own spelling is UTC"
        );
        assert!(parse_sqlite_time("yesterday").is_err());
    }

    #[test]
    fn sqlite_times_sort_as_text_in_time_order() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 10, 51, 8).unwrap();
        let later = [
            at + chrono::Duration::nanoseconds(1_000),
            at + chrono::Duration::milliseconds(120),
            at + chrono::Duration::seconds(1),
        ];
        for later in later {
            assert!(sqlite_time(at) < sqlite_time(later), "{at} < {later}");
        }
    }
}
