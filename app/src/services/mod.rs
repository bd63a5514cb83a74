//! What the pages and the pay flow ask of the server, one service per
//! feature: [`PaymentService`], [`ReceiptService`], [`DocumentService`],
//! [`FeedbackService`], and the plain [`SiteSettings`]. The server crate
//! implements the traits over its storage and acquirer and hands them to
//! the pages as [`Services`] in the Leptos context.

mod documents;
mod feedback;
mod payments;
mod receipts;
mod settings;

pub use documents::{DocumentService, DocumentView};
pub use feedback::{Feedback, FeedbackService};
pub use payments::{ChargeOutcome, PaymentRequestView, PaymentService, PaymentStatusView};
pub use receipts::{
    ReceiptRefund, ReceiptService, ReceiptView, RefundStage, Standing, VerifiedReceipt,
};
pub use settings::{Clock, SiteSettings, SupportContacts, current_month};

use std::sync::Arc;

/// Why a service could not do what it was asked; what the citizen is told
/// is decided by the page, from this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceError {
    UnknownCode,
    NotPayable(domain::RequestStatus),
    /// Another payment for this code is under way.
    InProgress,
    /// The idempotency key was used with other details.
    StaleForm,
    /// A document edition shown on the form is no longer the one in force.
    EditionsChanged,
    /// Too many feedback messages from one client.
    RateLimited,
    /// Too many payment attempts from this client, with this card or for
    /// this code; nothing was sent to the acquirer.
    TooManyAttempts {
        retry_after_secs: u64,
    },
    /// The acquirer did not process the payment: nothing was charged.
    ProcessorUnavailable,
    /// No database connection came free in time: the citizen is asked to
    /// try again in a moment (a 503 with `Retry-After`). Nothing happened.
    Busy,
    Internal,
}

/// Who is asking, as far as the site can tell: the client's address (the
/// proxy's word for it behind one) and the browser's random id, when its
/// cookie came back. The server turns both into pseudonyms before it keeps
/// them; the limits on card testing count attempts by them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub address: String,
    pub browser: Option<String>,
}

/// Every service, as the pages find them in the Leptos context.
#[derive(Clone)]
pub struct Services {
    pub payments: Arc<dyn PaymentService>,
    pub receipts: Arc<dyn ReceiptService>,
    pub documents: Arc<dyn DocumentService>,
    pub feedback: Arc<dyn FeedbackService>,
    pub settings: Arc<SiteSettings>,
}
