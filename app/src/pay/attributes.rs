//! The card form's `data-` attributes: what the server writes into the form
//! for the island to read back in the browser (`super::from_page`), in one
//! place so writing and reading cannot drift apart.

use crate::api::{Field, FieldError};
use domain::YearMonth;

/// `number:card_number_luhn cvv:cvv_empty`: keys never hold spaces or colons.
// Written by the server only, and by the tests here.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn write_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}:{}", e.field.name(), e.key))
        .collect::<Vec<_>>()
        .join(" ")
}

// Read in the browser only, and by the tests here.
#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn read_errors(attribute: &str) -> Vec<FieldError> {
    attribute
        .split_whitespace()
        .filter_map(|pair| {
            let (field, key) = pair.split_once(':')?;
            Some(FieldError {
                field: Field::from_name(field)?,
                key: key.to_string(),
            })
        })
        .collect()
}

/// `2026-12`.
// Written by the server only, and by the tests here.
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub fn write_month(month: YearMonth) -> String {
    format!("{:04}-{:02}", month.year, month.month)
}

// Read in the browser only, and by the tests here.
#[cfg_attr(feature = "ssr", allow(dead_code))]
pub fn read_month(attribute: &str) -> Option<YearMonth> {
    let (year, month) = attribute.split_once('-')?;
    Some(YearMonth {
        year: year.parse().ok()?,
        month: month.parse().ok().filter(|m| (1..=12).contains(m))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_back_as_written() {
        let errors = vec![
            FieldError {
                field: Field::Number,
                key: "card_number_luhn".into(),
            },
            FieldError {
                field: Field::Cvv,
                key: "cvv_empty".into(),
            },
        ];
        let written = write_errors(&errors);
        assert_eq!(written, "number:card_number_luhn cvv:cvv_empty");
        assert_eq!(read_errors(&written), errors);
        assert_eq!(read_errors(""), []);
        // A pair that names no field is dropped, not guessed.
        assert_eq!(read_errors("pin:wrong cvv:cvv_empty"), errors[1..]);
    }

    #[test]
    fn fields_are_named_and_placed_in_the_form_order() {
        for (place, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field.index(), place);
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert_eq!(field.anchor(), format!("#{}", field.input_id()));
        }
        assert_eq!(Field::from_name("Number"), None);
    }

    #[test]
    fn months_read_back_as_written() {
        let month = YearMonth {
            year: 2026,
            month: 3,
        };
        assert_eq!(write_month(month), "2026-03");
        assert_eq!(read_month("2026-03"), Some(month));
        assert_eq!(read_month("2026-13"), None);
        assert_eq!(read_month("2026"), None);
        assert_eq!(read_month(""), None);
    }
}
