//! Messages whose key is only known at run time (errors from the card checks,
//! the processor and the lookup), looked up through the compile-time checked
//! translations.

use crate::i18n::*;

/// Every key [`message`] knows; the card form receives all of them.
pub const KEYS: &[&str] = &[
    "card_number_empty",
    "card_number_invalid_characters",
    "card_number_unknown_brand",
    "card_number_wrong_length",
    "card_number_luhn",
    "expiry_empty",
    "expiry_malformed",
    "expiry_invalid_month",
    "expiry_expired",
    "expiry_too_far",
    "cvv_empty",
    "cvv_not_digits",
    "cvv_wrong_length",
    "name_empty",
    "name_too_short",
    "name_too_long",
    "name_invalid_characters",
    "decline_insufficient_funds",
    "decline_do_not_honour",
    "decline_expired_card",
    "decline_cvv_mismatch",
    "decline_three_ds_failed",
    "pay_stale_form",
    "pay_in_progress",
    "edition_changed_notice",
    "feedback_error_topic",
    "feedback_error_message_empty",
    "feedback_error_message_too_long",
    "feedback_error_card_number",
    "feedback_error_email",
    "feedback_error_receipt",
    "feedback_rate_limited",
    "pay_processor_unavailable",
    "internal_error",
    "busy_try_again",
    "pay_busy",
    "error_summary_title",
    "lookup_unknown",
    "lookup_paid",
    "lookup_expired",
    "lookup_cancelled",
    "code_empty",
    "code_invalid_characters",
    "code_wrong_length",
    "service_passport",
    "service_driving_licence",
    "service_meken_card",
    "status_awaiting_payment",
    "status_paid",
    "status_expired",
    "status_cancelled",
];

/// The message for `key` in `locale`; an unknown key gets the generic error
/// message rather than the key itself.
pub fn message(locale: Locale, key: &str) -> String {
    let text: &str = match key {
        "card_number_empty" => td_string!(locale, card_number_empty),
        "card_number_invalid_characters" => td_string!(locale, card_number_invalid_characters),
        "card_number_unknown_brand" => td_string!(locale, card_number_unknown_brand),
        "card_number_wrong_length" => td_string!(locale, card_number_wrong_length),
        "card_number_luhn" => td_string!(locale, card_number_luhn),
        "expiry_empty" => td_string!(locale, expiry_empty),
        "expiry_malformed" => td_string!(locale, expiry_malformed),
        "expiry_invalid_month" => td_string!(locale, expiry_invalid_month),
        "expiry_expired" => td_string!(locale, expiry_expired),
        "expiry_too_far" => td_string!(locale, expiry_too_far),
        "cvv_empty" => td_string!(locale, cvv_empty),
        "cvv_not_digits" => td_string!(locale, cvv_not_digits),
        "cvv_wrong_length" => td_string!(locale, cvv_wrong_length),
        "name_empty" => td_string!(locale, name_empty),
        "name_too_short" => td_string!(locale, name_too_short),
        "name_too_long" => td_string!(locale, name_too_long),
        "name_invalid_characters" => td_string!(locale, name_invalid_characters),
        "decline_insufficient_funds" => td_string!(locale, decline_insufficient_funds),
        "decline_do_not_honour" => td_string!(locale, decline_do_not_honour),
        "decline_expired_card" => td_string!(locale, decline_expired_card),
        "decline_cvv_mismatch" => td_string!(locale, decline_cvv_mismatch),
        "decline_three_ds_failed" => td_string!(locale, decline_three_ds_failed),
        "pay_stale_form" => td_string!(locale, pay_stale_form),
        "pay_in_progress" => td_string!(locale, pay_in_progress),
        "edition_changed_notice" => td_string!(locale, edition_changed_notice),
        "feedback_error_topic" => td_string!(locale, feedback_error_topic),
        "feedback_error_message_empty" => td_string!(locale, feedback_error_message_empty),
        "feedback_error_message_too_long" => td_string!(locale, feedback_error_message_too_long),
        "feedback_error_card_number" => td_string!(locale, feedback_error_card_number),
        "feedback_error_email" => td_string!(locale, feedback_error_email),
        "feedback_error_receipt" => td_string!(locale, feedback_error_receipt),
        "feedback_rate_limited" => td_string!(locale, feedback_rate_limited),
        "pay_processor_unavailable" => td_string!(locale, pay_processor_unavailable),
        "internal_error" => td_string!(locale, internal_error),
        "busy_try_again" => td_string!(locale, busy_try_again),
        "pay_busy" => td_string!(locale, pay_busy),
        "error_summary_title" => td_string!(locale, error_summary_title),
        "lookup_unknown" => td_string!(locale, lookup_unknown),
        "lookup_paid" => td_string!(locale, lookup_paid),
        "lookup_expired" => td_string!(locale, lookup_expired),
        "lookup_cancelled" => td_string!(locale, lookup_cancelled),
        "code_empty" => td_string!(locale, code_empty),
        "code_invalid_characters" => td_string!(locale, code_invalid_characters),
        "code_wrong_length" => td_string!(locale, code_wrong_length),
        "service_passport" => td_string!(locale, service_passport),
        "service_driving_licence" => td_string!(locale, service_driving_licence),
        "service_meken_card" => td_string!(locale, service_meken_card),
        "status_awaiting_payment" => td_string!(locale, status_awaiting_payment),
        "status_paid" => td_string!(locale, status_paid),
        "status_expired" => td_string!(locale, status_expired),
        "status_cancelled" => td_string!(locale, status_cancelled),
        _ => td_string!(locale, internal_error),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_its_own_message_in_every_language() {
        for locale in crate::lang::ALL {
            let fallback = message(locale, "no_such_key");
            for key in KEYS {
                let text = message(locale, key);
                assert!(!text.is_empty(), "{key} is empty");
                if *key != "internal_error" {
                    assert_ne!(text, fallback, "{key} falls back in {locale:?}");
                }
            }
        }
    }
}
