//! The site's policy documents. Each has numbered editions; the Russian text
//! of an edition is authoritative, Kyrgyz and English are translations.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    PrivacyPolicy,
    UserAgreement,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::PrivacyPolicy, DocumentKind::UserAgreement];

    /// The document's name in URLs and in storage.
    pub fn slug(self) -> &'static str {
        match self {
            DocumentKind::PrivacyPolicy => "privacy-policy",
            DocumentKind::UserAgreement => "user-agreement",
        }
    }

    pub fn from_slug(slug: &str) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|kind| kind.slug() == slug)
    }
}

/// An edition as it is named: its number and the moment it took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditionRef {
    pub edition: u32,
    pub effective_from: DateTime<Utc>,
}

/// The editions a citizen accepts by paying now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditionsInForce {
    pub privacy_policy: EditionRef,
    pub user_agreement: EditionRef,
}

impl EditionsInForce {
    pub fn of(&self, kind: DocumentKind) -> EditionRef {
        match kind {
            DocumentKind::PrivacyPolicy => self.privacy_policy,
            DocumentKind::UserAgreement => self.user_agreement,
        }
    }

    /// The latest moment any of them took effect.
    pub fn last_change(&self) -> DateTime<Utc> {
        self.privacy_policy
            .effective_from
            .max(self.user_agreement.effective_from)
    }
}

/// The edition numbers a pay form showed, as it posted them back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditionsShown {
    pub privacy_policy: u32,
    pub user_agreement: u32,
}
