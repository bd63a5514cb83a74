//! The seam between the web layer and the server's services. The server crate
//! implements [`PaymentService`] over its storage and card processor and hands
//! it to the pages and server functions as a [`Backend`] in the Leptos context.

use crate::api::{CardFormValues, PayError, PayResult};
use crate::card_form::{CheckedCard, check_card_form};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use domain::{
    BrandTable, CardBrand, Money, PaymentCode, PaymentState, RequestStatus, ServiceKind, YearMonth,
};
use std::sync::Arc;

/// A payment request as the citizen may see it: the applicant's name arrives masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequestView {
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub applicant_masked: String,
    pub amount: Money,
    pub status: RequestStatus,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptView {
    pub receipt_number: String,
    pub paid_at: DateTime<Utc>,
    pub service: ServiceKind,
    pub code: PaymentCode,
    pub applicant_masked: String,
    pub amount: Money,
    pub brand: CardBrand,
    /// First six and last four digits only.
    pub masked_card: String,
    pub cardholder: String,
    pub processor_reference: String,
    /// The editions accepted by paying.
    pub accepted: Vec<(DocumentKind, EditionRef)>,
}

/// The site's policy documents. Each has numbered editions; the Russian
/// text of an edition is authoritative, Kyrgyz and English are translations.
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

    pub fn href(self) -> String {
        format!("/documents/{}", self.slug())
    }

    /// The permanent address of one edition.
    pub fn edition_href(self, edition: u32) -> String {
        format!("/documents/{}/editions/{edition}", self.slug())
    }
}

/// One edition of a policy document, rendered to HTML from its Markdown source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentView {
    pub kind: DocumentKind,
    pub edition: u32,
    /// The language of the text shown (Russian when no translation exists).
    pub language: String,
    pub effective_from: DateTime<Utc>,
    /// When the next edition replaced this one, if it did.
    pub superseded_at: Option<DateTime<Utc>>,
    pub html: String,
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

/// A message from the feedback form, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub topic: String,
    pub message: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
    pub language: String,
    /// Who sent it, as the rate limit counts (an address, never stored raw).
    pub client: String,
}

/// How citizens reach the operator's support, from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportContacts {
    pub email: String,
    /// As written for people, e.g. "(0312) 98-61-90"; links dial the digits.
    pub phones: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclineReason {
    InsufficientFunds,
    DoNotHonour,
    ExpiredCard,
    CvvMismatch,
    /// The citizen failed or cancelled the issuer's 3-D Secure challenge.
    ThreeDsFailed,
}

impl DeclineReason {
    pub fn key(self) -> &'static str {
        match self {
            DeclineReason::InsufficientFunds => "decline_insufficient_funds",
            DeclineReason::DoNotHonour => "decline_do_not_honour",
            DeclineReason::ExpiredCard => "decline_expired_card",
            DeclineReason::CvvMismatch => "decline_cvv_mismatch",
            DeclineReason::ThreeDsFailed => "decline_three_ds_failed",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::InsufficientFunds => "insufficient_funds",
            DeclineReason::DoNotHonour => "do_not_honour",
            DeclineReason::ExpiredCard => "expired_card",
            DeclineReason::CvvMismatch => "cvv_mismatch",
            DeclineReason::ThreeDsFailed => "three_ds_failed",
        }
    }

    pub const ALL: [DeclineReason; 5] = [
        DeclineReason::InsufficientFunds,
        DeclineReason::DoNotHonour,
        DeclineReason::ExpiredCard,
        DeclineReason::CvvMismatch,
        DeclineReason::ThreeDsFailed,
    ];

    pub fn from_str_opt(s: &str) -> Option<DeclineReason> {
        DeclineReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Paid {
        receipt_id: String,
    },
    Declined {
        reason: DeclineReason,
    },
    /// Not settled yet (a challenge, or an answer still awaited): the
    /// citizen follows it on the payment's status page.
    Continue {
        payment_id: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceError {
    UnknownCode,
    NotPayable(RequestStatus),
    /// Another payment for this code is under way.
    InProgress,
    /// The idempotency key is missing or was used with other details.
    StaleForm,
    /// A document edition shown on the form is no longer the one in force.
    EditionsChanged,
    /// Too many feedback messages from one client.
    RateLimited,
    /// The acquirer did not process the payment: nothing was charged.
    ProcessorUnavailable,
    /// No database connection came free in time: the citizen is asked to
    /// try again in a moment (a 503 with `Retry-After`). Nothing happened.
    Busy,
    Internal,
}

/// How long a busy page asks the browser to wait before trying again.
pub const RETRY_AFTER_SECS: &str = "2";

/// A payment as its status page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentStatusView {
    pub id: String,
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub amount: Money,
    pub state: PaymentState,
    pub decline: Option<DeclineReason>,
    /// The issuer's challenge page while the state is `three_ds_required`.
    pub challenge_url: Option<String>,
}

#[async_trait]
pub trait PaymentService: Send + Sync {
    async fn find_request(
        &self,
        code: &PaymentCode,
    ) -> Result<Option<PaymentRequestView>, ServiceError>;

    /// Charges the card for the request behind `code` and records the payment.
    /// Refuses, before the processor is called, a code that is not payable.
    /// Every call with the same `idempotency_key` is the same attempt: the
    /// acquirer is asked at most once and later calls get the first outcome.
    async fn charge(
        &self,
        code: &PaymentCode,
        idempotency_key: &str,
        accepted: EditionsShown,
        card: CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError>;

    /// A payment's state for its status page; asks the acquirer first when
    /// the outcome is still unknown.
    async fn payment_status(&self, id: &str) -> Result<Option<PaymentStatusView>, ServiceError>;

    /// The citizen is back from the issuer's challenge with its answer.
    async fn complete_challenge(&self, id: &str, cres: &str) -> Result<(), ServiceError>;

    /// A fresh key for a pay form about to be rendered.
    fn new_idempotency_key(&self) -> String;

    async fn receipt(&self, receipt_id: &str) -> Result<Option<ReceiptView>, ServiceError>;

    /// The editions of both documents in force now.
    async fn editions_in_force(&self) -> Result<EditionsInForce, ServiceError>;

    /// An edition of a document (the one in force when `edition` is `None`)
    /// in `language`, or in Russian when it has no such translation. Editions
    /// whose time has not come do not exist yet.
    async fn document(
        &self,
        kind: DocumentKind,
        edition: Option<u32>,
        language: &str,
    ) -> Result<Option<DocumentView>, ServiceError>;

    /// Every edition of a document that has taken effect, oldest first.
    async fn document_editions(&self, kind: DocumentKind) -> Result<Vec<EditionRef>, ServiceError>;

    /// Stores a feedback message, unless its sender sent too many lately.
    async fn send_feedback(&self, feedback: Feedback) -> Result<(), ServiceError>;

    fn support_contacts(&self) -> &SupportContacts;

    fn brand_table(&self) -> &BrandTable;

    fn elcart_prefix(&self) -> &str;

    fn now(&self) -> DateTime<Utc>;
}

/// The edition numbers the pay form showed, as it posted them back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EditionsShown {
    pub privacy_policy: u32,
    pub user_agreement: u32,
}

#[derive(Clone)]
pub struct Backend(pub Arc<dyn PaymentService>);

impl std::ops::Deref for Backend {
    type Target = dyn PaymentService;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// The month a card's expiry is compared with: the calendar month in Bishkek.
pub fn current_month(now: DateTime<Utc>) -> YearMonth {
    let local = now.with_timezone(&chrono_tz::Asia::Bishkek);
    YearMonth {
        year: u16::try_from(local.year()).unwrap_or(u16::MAX),
        month: u8::try_from(local.month()).unwrap_or(1),
    }
}

/// The translation key that explains why a request cannot be paid.
pub fn not_payable_key(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Paid => "lookup_paid",
        RequestStatus::Expired => "lookup_expired",
        RequestStatus::Cancelled => "lookup_cancelled",
        RequestStatus::AwaitingPayment => "internal_error",
    }
}

/// Payment ids (receipt ids) and idempotency keys are 32 lowercase hex
/// digits, as UUIDs in simple form; anything else cannot be one.
pub fn is_hex_id(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The status page of a payment.
pub fn payment_url(payment_id: &str) -> String {
    format!("/payment/{payment_id}")
}

/// The body of the `pay` server function, shared with the no-JavaScript form post.
pub async fn pay(backend: &Backend, form: CardFormValues) -> Result<PayResult, PayError> {
    let code = PaymentCode::parse(&form.code).map_err(|_| PayError::NotPayable {
        reason_key: "lookup_unknown".into(),
    })?;
    let today = current_month(backend.now());
    let card = check_card_form(&form, backend.brand_table(), today).map_err(PayError::Invalid)?;
    if !is_hex_id(&form.idempotency_key) {
        return Err(PayError::StaleForm {
            next_key: backend.new_idempotency_key(),
        });
    }
    let key = form.idempotency_key.clone();
    let shown = EditionsShown {
        privacy_policy: form.privacy_policy_edition.trim().parse().unwrap_or(0),
        user_agreement: form.user_agreement_edition.trim().parse().unwrap_or(0),
    };
    drop(form);
    match backend.charge(&code, &key, shown, card).await {
        Ok(ChargeOutcome::Paid { receipt_id }) => Ok(PayResult::Paid { receipt_id }),
        Ok(ChargeOutcome::Declined { reason }) => Ok(PayResult::Declined {
            reason_key: reason.key().into(),
            next_key: backend.new_idempotency_key(),
        }),
        Ok(ChargeOutcome::Continue { payment_id }) => Ok(PayResult::Continue {
            url: payment_url(&payment_id),
        }),
        Err(ServiceError::UnknownCode) => Err(PayError::NotPayable {
            reason_key: "lookup_unknown".into(),
        }),
        Err(ServiceError::NotPayable(status)) => Err(PayError::NotPayable {
            reason_key: not_payable_key(status).into(),
        }),
        Err(ServiceError::InProgress) => Err(PayError::NotPayable {
            reason_key: "pay_in_progress".into(),
        }),
        Err(ServiceError::StaleForm) => Err(PayError::StaleForm {
            next_key: backend.new_idempotency_key(),
        }),
        Err(ServiceError::EditionsChanged) => Err(PayError::EditionsChanged),
        Err(ServiceError::ProcessorUnavailable) => Err(PayError::ProcessorUnavailable {
            next_key: backend.new_idempotency_key(),
        }),
        Err(ServiceError::Busy) => Err(PayError::Busy),
        Err(ServiceError::Internal | ServiceError::RateLimited) => Err(PayError::Internal),
    }
}
