//! The documents as every page reads them: an in-memory copy of all
//! editions, their HTML rendered once, so the policy, the footer's links, the
//! pay form's consent and the receipt's accepted editions cost no database
//! round trip.
//!
//! The copy holds future editions too and filters by the time of each
//! question, so an edition takes effect at its moment with nothing to
//! refresh. It is reloaded when this server publishes an edition, when a
//! payment finds the editions changed under it, and whenever the database's
//! [`EditionsStamp`] moves: every server polls it (a one-row query every
//! [`Documents::watch`] interval), which is how an edition published by
//! another server or by the `publish` command reaches all of them.

use super::{AUTHORITATIVE_LANGUAGE, render_markdown};
use crate::storage::{EditionRecord, EditionsStamp, PaymentStore, StoreError};
use app::services::{Clock, DocumentView};
use chrono::{DateTime, Utc};
use domain::{DocumentKind, EditionRef, EditionsInForce};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// One language of one edition, with its HTML.
struct Edition {
    record: EditionRecord,
    html: String,
}

/// All editions as they were at one [`EditionsStamp`].
pub struct Library {
    stamp: EditionsStamp,
    editions: Vec<Edition>,
}

impl Library {
    pub fn new(stamp: EditionsStamp, records: Vec<EditionRecord>) -> Library {
        let editions = records
            .into_iter()
            .map(|record| Edition {
                html: render_markdown(&record.source),
                record,
            })
            .collect();
        Library { stamp, editions }
    }

    /// The editions of `kind` that have taken effect by `now`: number and
    /// moment, oldest first, one entry per edition whatever its languages.
    pub fn in_effect(&self, kind: DocumentKind, now: DateTime<Utc>) -> Vec<EditionRef> {
        let mut editions: Vec<EditionRef> = self
            .editions
            .iter()
            .map(|e| &e.record)
            .filter(|r| r.document == kind.slug() && r.effective_from <= now)
            .filter(|r| r.language == AUTHORITATIVE_LANGUAGE)
            .map(|r| EditionRef {
                edition: r.edition,
                effective_from: r.effective_from,
            })
            .collect();
        editions.sort_by_key(|e| e.edition);
        editions
    }

    /// The editions of both documents in force at `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> Result<EditionsInForce, StoreError> {
        let latest = |kind: DocumentKind| {
            self.in_effect(kind, now)
                .pop()
                .ok_or(StoreError::Corrupt("a document has no edition in force"))
        };
        Ok(EditionsInForce {
            privacy_policy: latest(DocumentKind::PrivacyPolicy)?,
            user_agreement: latest(DocumentKind::UserAgreement)?,
        })
    }

    /// An edition by number, whether or not it has taken effect (a receipt
    /// names the editions its payment accepted).
    pub fn edition(&self, kind: DocumentKind, number: u32) -> Option<EditionRef> {
        self.editions
            .iter()
            .map(|e| &e.record)
            .find(|r| r.document == kind.slug() && r.edition == number)
            .map(|r| EditionRef {
                edition: r.edition,
                effective_from: r.effective_from,
            })
    }

    /// Every stored language of every edition of `kind`, in force or not.
    pub fn records(&self, kind: DocumentKind) -> impl Iterator<Item = &EditionRecord> {
        self.editions
            .iter()
            .map(|e| &e.record)
            .filter(move |r| r.document == kind.slug())
    }

    /// An edition (the one in force for `None`) in `language`, falling back
    /// to the authoritative Russian text. Editions whose moment has not come
    /// do not exist yet.
    pub fn document(
        &self,
        kind: DocumentKind,
        edition: Option<u32>,
        language: &str,
        now: DateTime<Utc>,
    ) -> Option<DocumentView> {
        let effective = self.in_effect(kind, now);
        let wanted = match edition {
            Some(number) => effective.iter().find(|e| e.edition == number).copied(),
            None => effective.last().copied(),
        }?;
        let superseded_at = effective
            .iter()
            .find(|e| e.edition > wanted.edition)
            .map(|e| e.effective_from);
        let text = |lang: &str| {
            self.editions.iter().find(|e| {
                e.record.document == kind.slug()
                    && e.record.edition == wanted.edition
                    && e.record.language == lang
            })
        };
        let shown = text(language).or_else(|| text(AUTHORITATIVE_LANGUAGE))?;
        Some(DocumentView {
            kind,
            edition: wanted.edition,
            language: shown.record.language.clone(),
            effective_from: wanted.effective_from,
            superseded_at,
            html: shown.html.clone(),
        })
    }
}

/// The server's current [`Library`], and how it is kept current.
pub struct Documents {
    store: Arc<dyn PaymentStore>,
    current: RwLock<Arc<Library>>,
    /// What "now" is when a page asks which editions are in force.
    clock: Clock,
}

impl Documents {
    /// Reads every edition from `store`.
    pub async fn load(
        store: Arc<dyn PaymentStore>,
        clock: Clock,
    ) -> Result<Arc<Documents>, StoreError> {
        let library = read(store.as_ref()).await?;
        Ok(Arc::new(Documents {
            store,
            current: RwLock::new(Arc::new(library)),
            clock,
        }))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn store(&self) -> &dyn PaymentStore {
        self.store.as_ref()
    }

    /// The library as it is now; cheap (a shared pointer).
    pub fn library(&self) -> Arc<Library> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the library if the database's editions changed since it was
    /// read; answers whether it did.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let stamp = self.store.editions_stamp().await?;
        if stamp == self.library().stamp {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Reads every edition again.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let library = Arc::new(read(self.store.as_ref()).await?);
        match self.current.write() {
            Ok(mut current) => *current = library,
            Err(poisoned) => *poisoned.into_inner() = library,
        }
        tracing::info!("document editions reloaded");
        Ok(())
    }

    /// Polls the database every `every` and reloads on a change, until the
    /// returned task is aborted.
    pub fn watch(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let documents = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(documents) = documents.upgrade() else {
                    break;
                };
                if let Err(error) = documents.refresh().await {
                    tracing::warn!(%error, "could not check the document editions");
                }
            }
        })
    }
}

/// The stamp first: an edition added between the two reads makes the next
/// poll read again, never miss it.
async fn read(store: &dyn PaymentStore) -> Result<Library, StoreError> {
    let stamp = store.editions_stamp().await?;
    let records = store.all_editions().await?;
    Ok(Library::new(stamp, records))
}
