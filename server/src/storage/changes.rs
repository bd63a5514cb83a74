//! How many writes this process has committed: the count the pages
//! rendered once ([`crate::web`]'s page cache) are kept against. A page
//! made before a write is never answered after it, on this server; other
//! servers sharing the database see the write when their copies expire.

use super::StoreError;
use super::backend::{Backend, Connections};
use super::group_commit::Write;
use super::values::{Decode, Statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// A backend whose writes are counted once they are over: committed,
/// refused or failed alike (a failed one may have been committed anyway).
pub(super) struct Counted<B> {
    inner: B,
    writes: AtomicU64,
}

impl<B> Counted<B> {
    pub(super) fn new(inner: B) -> Self {
        Counted {
            inner,
            writes: AtomicU64::new(0),
        }
    }

    /// Writes over so far.
    pub(super) fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// Counts a write that ended on a path this type does not see: a payment
    /// write pushed to the group commit is over when its answer arrives.
    pub(super) fn count(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    #[cfg(test)]
    pub(super) fn inner(&self) -> &B {
        &self.inner
    }
}

#[async_trait]
impl<B: Backend> Backend for Counted<B> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.inner.fetch(statement, decode).await
    }

    async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        let result = self.inner.execute(statement).await;
        self.count();
        result
    }

    async fn execute_all(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError> {
        let result = self.inner.execute_all(statements).await;
        self.count();
        result
    }

    async fn execute_guarded(&self, statements: Vec<Statement>) -> Result<bool, StoreError> {
        let result = self.inner.execute_guarded(statements).await;
        self.count();
        result
    }

    async fn now(&self) -> Result<DateTime<Utc>, StoreError> {
        self.inner.now().await
    }

    async fn push(&self, write: Write) -> Result<(), StoreError> {
        self.inner.push(write).await
    }

    fn connections(&self) -> Connections {
        self.inner.connections()
    }
}
