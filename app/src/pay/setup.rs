//! What the card form's island starts from ([`CardFormSetup`]): on the
//! server, what the pay page provided through context; in the browser, what
//! the page it hydrates says (`super::from_page`).

use super::text::CardFormText;
use crate::api::{CardFormValues, FieldError};
use domain::YearMonth;

/// Everything the server knows when it renders the form.
#[derive(Clone, Debug, PartialEq)]
pub struct CardFormSetup {
    /// Where the form posts.
    pub action: String,
    /// What the citizen typed before: never the card number or the CVV.
    pub values: CardFormValues,
    /// Says the number must be typed again, naming its brand and last four.
    pub number_note: Option<String>,
    pub errors: Vec<FieldError>,
    /// A message above the form, such as a decline.
    pub notice: Option<String>,
    pub text: CardFormText,
    /// The configured Elcart prefix, so the browser detects brands as the server does.
    pub elcart_prefix: String,
    /// This month on the server's clock, for the expiry check.
    pub today: YearMonth,
}

impl Default for CardFormSetup {
    fn default() -> Self {
        CardFormSetup {
            action: String::new(),
            values: CardFormValues::default(),
            number_note: None,
            errors: Vec::new(),
            notice: None,
            text: CardFormText::default(),
            elcart_prefix: String::new(),
            today: YearMonth { year: 0, month: 1 },
        }
    }
}

impl CardFormSetup {
    /// On the server, what the pay page provided; in the browser, the page.
    pub(super) fn current() -> CardFormSetup {
        #[cfg(feature = "ssr")]
        return leptos::prelude::use_context::<CardFormSetup>().unwrap_or_default();
        #[cfg(not(feature = "ssr"))]
        return super::from_page::setup();
    }
}
