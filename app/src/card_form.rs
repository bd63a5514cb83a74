//! The card checks of the pay form, shared by the browser (as the citizen
//! types) and the server (again, before anything is charged), so both always
//! agree on what is valid.

use crate::api::{CardFormValues, Field, FieldError};
use domain::{
    BrandTable, CardBrand, CardNumber, CardholderName, CheckedCard, Cvv, Expiry, YearMonth,
};

/// The brand to show while the citizen types, from a possibly partial number.
pub fn brand_hint(number: &str, table: &BrandTable) -> Option<CardBrand> {
    table.detect(&domain::digits_only(number))
}

/// What may be said of a number the citizen typed once it is gone from the
/// form: its brand (when known) and last four digits, as on the receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberEnding {
    pub brand: Option<CardBrand>,
    pub last_four: String,
}

impl NumberEnding {
    /// `None` when fewer than four digits were typed.
    pub fn of(number: &str, table: &BrandTable) -> Option<NumberEnding> {
        let digits = zeroize::Zeroizing::new(domain::digits_only(number));
        let last_four = digits.get(digits.len().checked_sub(4)?..)?.to_string();
        Some(NumberEnding {
            brand: table.detect(&digits),
            last_four,
        })
    }

    /// `Visa •••• 1111`, or `•••• 1111` for a brand not recognised.
    pub fn label(&self) -> String {
        match self.brand {
            Some(brand) => format!("{} •••• {}", brand.display_name(), self.last_four),
            None => format!("•••• {}", self.last_four),
        }
    }
}

/// The error key of one field, or `None` when it passes.
pub fn check_field(
    field: Field,
    values: &CardFormValues,
    table: &BrandTable,
    today: YearMonth,
) -> Option<&'static str> {
    match field {
        Field::Cardholder => CardholderName::parse(&values.cardholder)
            .err()
            .map(|e| e.key()),
        Field::Number => CardNumber::parse(&values.number, table)
            .err()
            .map(|e| e.key()),
        Field::Expiry => Expiry::from_parts(&values.exp_month, &values.exp_year, today)
            .err()
            .map(|e| e.key()),
        Field::Cvv => Cvv::parse(&values.cvv, brand_hint(&values.number, table))
            .err()
            .map(|e| e.key()),
    }
}

/// Every check of the form; the errors come in the order of the fields.
pub fn check_card_form(
    values: &CardFormValues,
    table: &BrandTable,
    today: YearMonth,
) -> Result<CheckedCard, Vec<FieldError>> {
    let cardholder = CardholderName::parse(&values.cardholder);
    let number = CardNumber::parse(&values.number, table);
    let expiry = Expiry::from_parts(&values.exp_month, &values.exp_year, today);
    let brand = number
        .as_ref()
        .map(|n| n.brand())
        .ok()
        .or_else(|| brand_hint(&values.number, table));
    let cvv = Cvv::parse(&values.cvv, brand);
    match (cardholder, number, expiry, cvv) {
        (Ok(cardholder), Ok(number), Ok(expiry), Ok(cvv)) => Ok(CheckedCard {
            cardholder,
            number,
            expiry,
            cvv,
        }),
        (cardholder, number, expiry, cvv) => {
            let keys = [
                (Field::Cardholder, cardholder.err().map(|e| e.key())),
                (Field::Number, number.err().map(|e| e.key())),
                (Field::Expiry, expiry.err().map(|e| e.key())),
                (Field::Cvv, cvv.err().map(|e| e.key())),
            ];
            Err(keys
                .into_iter()
                .filter_map(|(field, key)| {
                    key.map(|key| FieldError {
                        field,
                        key: key.to_string(),
                    })
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: YearMonth = YearMonth {
        year: 2026,
        month: 11,
    };

    fn valid() -> CardFormValues {
        CardFormValues {
            code: "11000000000001".into(),
            cardholder: "aibek asanov".into(),
            number: String::from("4111 1111 1111 1111").into(),
            exp_month: "12".into(),
            exp_year: "28".into(),
            cvv: String::from("123").into(),
            idempotency_key: String::new(),
            privacy_policy_edition: String::new(),
            user_agreement_edition: String::new(),
        }
    }

    #[test]
    fn a_valid_form_passes_and_normalises_the_name() {
        let card = check_card_form(&valid(), &BrandTable::default(), TODAY).unwrap();
        assert_eq!(card.cardholder.as_str(), "AIBEK ASANOV");
        assert_eq!(card.number.last_four(), "1111");
        let ending = NumberEnding::of(&valid().number, &BrandTable::default()).unwrap();
        assert_eq!(ending.label(), "Visa •••• 1111");
        let unknown = NumberEnding::of("99 1234", &BrandTable::default()).unwrap();
        assert_eq!(unknown.label(), "•••• 1234");
        assert_eq!(NumberEnding::of("4 11", &BrandTable::default()), None);
    }

    #[test]
    fn every_failing_field_is_reported_in_order() {
        let form = CardFormValues {
            cardholder: "Айбек".into(),
            number: String::from("4111 1111 1111 1112").into(),
            exp_month: "10".into(),
            exp_year: "2026".into(),
            cvv: String::from("12").into(),
            ..valid()
        };
        let errors = check_card_form(&form, &BrandTable::default(), TODAY).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, Field::ALL.to_vec());
        assert_eq!(errors[1].key, "card_number_luhn");
        assert_eq!(errors[2].key, "expiry_expired");
    }

    #[test]
    fn single_field_checks_match_the_whole_form() {
        let mut form = valid();
        form.number = String::from("4111").into();
        let table = BrandTable::default();
        assert_eq!(
            check_field(Field::Number, &form, &table, TODAY),
            Some("card_number_wrong_length")
        );
        assert_eq!(check_field(Field::Cvv, &form, &table, TODAY), None);
    }

    #[test]
    fn error_keys_never_contain_the_input() {
        let mut form = valid();
        form.number = String::from("4111111111111112").into();
        let errors = check_card_form(&form, &BrandTable::default(), TODAY).unwrap_err();
        for e in errors {
            assert!(!e.key.contains("4111"));
        }
    }
}
