//! The feedback form: its fields as posted, and the checks a message passes
//! before it is stored. A message that looks like it holds a card number is
//! refused whole and never stored: the site must not keep card numbers.

use crate::messages::Msg;
use serde::Deserialize;

/// The topics a message can be filed under (their names are translation keys
/// `feedback_topic_<name>`).
pub const TOPICS: [&str; 5] = ["payment", "refund", "site", "suggestion", "other"];
pub const MESSAGE_LIMIT: usize = 2000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub reply_email: String,
    #[serde(default)]
    pub receipt_number: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedbackField {
    Topic,
    Message,
    ReplyEmail,
    ReceiptNumber,
}

impl FeedbackField {
    pub fn input_id(self) -> &'static str {
        match self {
            FeedbackField::Topic => "topic",
            FeedbackField::Message => "message",
            FeedbackField::ReplyEmail => "reply-email",
            FeedbackField::ReceiptNumber => "receipt-number",
        }
    }
}

/// A message that passed the checks, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedFeedback {
    pub topic: String,
    pub message: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
}

/// Whether `text` holds something that looks like a card number
/// ([`domain::card_numbers_in`] says what does).
pub fn contains_card_number(text: &str) -> bool {
    !domain::card_numbers_in(text).is_empty()
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
        && !domain.contains('@')
}

fn looks_like_receipt(receipt: &str) -> bool {
    let upper = receipt.to_ascii_uppercase();
    upper.len() == 12 && upper.starts_with("TLM-") && upper[4..].bytes().all(|b| b.is_ascii_digit())
}

/// Checks every field; each error names its message.
pub fn check_feedback(form: &FeedbackForm) -> Result<CheckedFeedback, Vec<(FeedbackField, Msg)>> {
    let mut errors = Vec::new();
    let topic = form.topic.trim();
    if !TOPICS.contains(&topic) {
        errors.push((FeedbackField::Topic, Msg::FeedbackErrorTopic));
    }
    let message = form.message.trim();
    if message.is_empty() {
        errors.push((FeedbackField::Message, Msg::FeedbackErrorMessageEmpty));
    } else if message.chars().count() > MESSAGE_LIMIT {
        errors.push((FeedbackField::Message, Msg::FeedbackErrorMessageTooLong));
    } else if contains_card_number(message) {
        errors.push((FeedbackField::Message, Msg::FeedbackErrorCardNumber));
    }
    let email = form.reply_email.trim();
    if !email.is_empty() && !looks_like_email(email) {
        errors.push((FeedbackField::ReplyEmail, Msg::FeedbackErrorEmail));
    }
    let receipt = form.receipt_number.trim();
    if !receipt.is_empty() && !looks_like_receipt(receipt) {
        errors.push((FeedbackField::ReceiptNumber, Msg::FeedbackErrorReceipt));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedFeedback {
        topic: topic.into(),
        message: message.into(),
        reply_email: (!email.is_empty()).then(|| email.to_string()),
        receipt_number: (!receipt.is_empty()).then(|| receipt.to_ascii_uppercase()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_found_however_they_are_written() {
        assert!(contains_card_number("my card 4111111111111111 was charged"));
        assert!(contains_card_number("карта 4111 1111 1111 1111, помогите"));
        assert!(contains_card_number("5555-5555-5555-4444"));
        assert!(contains_card_number("4000000000003220"));
        assert!(
            contains_card_number("UnionPay 8171 0000 0000 0006"),
            "the 81 range"
        );
    }

    #[test]
    fn other_numbers_are_not_card_numbers() {
        assert!(!contains_card_number("код 11202600000001 не работает"));
        assert!(!contains_card_number("4111 1111 1111 1112"), "fails Luhn");
        assert!(!contains_card_number("+996 555 123 456"));
        assert!(!contains_card_number("квитанция TLM-00000042"));
        assert!(!contains_card_number("411111******1111"));
    }

    fn form(message: &str) -> FeedbackForm {
        FeedbackForm {
            topic: "payment".into(),
            message: message.into(),
            reply_email: " name@example.kg ".into(),
            receipt_number: "tlm-00000042".into(),
        }
    }

    #[test]
    fn a_good_message_passes_trimmed() {
        let checked = check_feedback(&form("  Платёж завис  ")).unwrap();
        assert_eq!(checked.message, "Платёж завис");
        assert_eq!(checked.reply_email.as_deref(), Some("name@example.kg"));
        assert_eq!(checked.receipt_number.as_deref(), Some("TLM-00000042"));
    }

    #[test]
    fn bad_fields_are_named() {
        let errors = check_feedback(&FeedbackForm {
            topic: "spam".into(),
            message: "4111 1111 1111 1111".into(),
            reply_email: "not an email".into(),
            receipt_number: "42".into(),
        })
        .unwrap_err();
        assert_eq!(
            errors,
            vec![
                (FeedbackField::Topic, Msg::FeedbackErrorTopic),
                (FeedbackField::Message, Msg::FeedbackErrorCardNumber),
                (FeedbackField::ReplyEmail, Msg::FeedbackErrorEmail),
                (FeedbackField::ReceiptNumber, Msg::FeedbackErrorReceipt),
            ]
        );
        let long = "а".repeat(MESSAGE_LIMIT + 1);
        assert_eq!(
            check_feedback(&form(&long)).unwrap_err(),
            vec![(FeedbackField::Message, Msg::FeedbackErrorMessageTooLong)]
        );
    }
}
