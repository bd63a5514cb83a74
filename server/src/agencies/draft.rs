//! A new payment request as an agency sends it, parsed field by field so
//! that each failure names its field: the service (one the agency may
//! bill), the applicant's name, the amount in tyiyn (positive, at most the
//! configured maximum), the expiry (in the future, within a year), the
//! agency's reference and an optional description.

use chrono::{DateTime, Duration, Utc};
use domain::{Money, ServiceKind};
use serde_json::Value;

/// Longest applicant name, reference and description, in characters.
pub const MAX_NAME: usize = 200;
pub const MAX_REFERENCE: usize = 255;
pub const MAX_DESCRIPTION: usize = 500;
/// The furthest expiry from now.
pub const LONGEST_WINDOW_DAYS: i64 = 366;

/// A parsed new request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub service: ServiceKind,
    pub applicant_name: String,
    pub amount: Money,
    pub expires_at: DateTime<Utc>,
    pub reference: String,
    pub description: Option<String>,
}

/// One field's failure: its name, a stable code, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub detail: String,
}

fn fail(field: &'static str, code: &'static str, detail: impl Into<String>) -> FieldError {
    FieldError {
        field,
        code,
        detail: detail.into(),
    }
}

/// What a draft is checked against.
pub struct Rules<'a> {
    pub services: &'a [ServiceKind],
    pub max_amount_tyiyn: i64,
    pub now: DateTime<Utc>,
}

pub fn parse(body: &Value, rules: &Rules<'_>) -> Result<Draft, Vec<FieldError>> {
    let Some(fields) = body.as_object() else {
        return Err(vec![fail(
            "body",
            "not_an_object",
            "The body must be a JSON object.",
        )]);
    };
    let mut errors = Vec::new();
    let e = &mut errors;
    let service = keep(e, service(fields.get("service"), rules.services));
    let applicant_name = keep(
        e,
        text(fields.get("applicant_name"), "applicant_name", MAX_NAME),
    );
    let amount = keep(e, amount(fields.get("amount"), rules.max_amount_tyiyn));
    let expires_at = keep(e, expiry(fields.get("expires_at"), rules.now));
    let reference = keep(e, text(fields.get("reference"), "reference", MAX_REFERENCE));
    let description = keep(
        e,
        match fields.get("description") {
            None | Some(Value::Null) => Ok(None),
            some => text(some, "description", MAX_DESCRIPTION).map(Some),
        },
    );
    match (
        service,
        applicant_name,
        amount,
        expires_at,
        reference,
        description,
    ) {
        (
            Some(service),
            Some(applicant_name),
            Some(amount),
            Some(expires_at),
            Some(reference),
            Some(description),
        ) if errors.is_empty() => Ok(Draft {
            service,
            applicant_name,
            amount,
            expires_at,
            reference,
            description,
        }),
        _ => Err(errors),
    }
}

/// The value, or `None` with its error noted.
fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

fn service(value: Option<&Value>, allowed: &[ServiceKind]) -> Result<ServiceKind, FieldError> {
    let name = match value {
        None | Some(Value::Null) => return Err(fail("service", "missing", "Name the service.")),
        Some(Value::String(name)) => name,
        Some(_) => return Err(fail("service", "not_a_string", "The service is a string.")),
    };
    let kind = ServiceKind::from_str_opt(name).ok_or_else(|| {
        let known: Vec<_> = ServiceKind::ALL.iter().map(|k| k.as_str()).collect();
        fail(
            "service",
            "unknown",
            format!("The service is one of {}.", known.join(", ")),
        )
    })?;
    if !allowed.contains(&kind) {
        return Err(fail(
            "service",
            "not_permitted",
            "This agency may not bill that service.",
        ));
    }
    Ok(kind)
}

fn text(value: Option<&Value>, field: &'static str, longest: usize) -> Result<String, FieldError> {
    let text = match value {
        None | Some(Value::Null) => return Err(fail(field, "missing", "This field is required.")),
        Some(Value::String(text)) => text.trim(),
        Some(_) => return Err(fail(field, "not_a_string", "This field is a string.")),
    };
    if text.is_empty() {
        return Err(fail(field, "blank", "This field may not be blank."));
    }
    if text.chars().count() > longest {
        return Err(fail(
            field,
            "too_long",
            format!("At most {longest} characters."),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(fail(
            field,
            "control_characters",
            "Control characters are not allowed.",
        ));
    }
    Ok(text.to_owned())
}

fn amount(value: Option<&Value>, max: i64) -> Result<Money, FieldError> {
    let tyiyn = match value {
        None | Some(Value::Null) => {
            return Err(fail("amount", "missing", "Give the amount in tyiyn."));
        }
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            fail(
                "amount",
                "not_an_integer",
                "The amount is a whole number of tyiyn.",
            )
        })?,
        Some(_) => {
            return Err(fail(
                "amount",
                "not_an_integer",
                "The amount is a whole number of tyiyn.",
            ));
        }
    };
    if tyiyn <= 0 {
        return Err(fail(
            "amount",
            "not_positive",
            "The amount must be more than 0.",
        ));
    }
    if tyiyn > max {
        return Err(fail(
            "amount",
            "too_large",
            format!("The amount may be at most {max} tyiyn."),
        ));
    }
    Money::from_tyiyn(tyiyn)
        .map_err(|_| fail("amount", "not_positive", "The amount must be more than 0."))
}

fn expiry(value: Option<&Value>, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let text = match value {
        None | Some(Value::Null) => {
            return Err(fail(
                "expires_at",
                "missing",
                "Give the expiry as an RFC 3339 time.",
            ));
        }
        Some(Value::String(text)) => text,
        Some(_) => {
            return Err(fail(
                "expires_at",
                "not_a_time",
                "The expiry is an RFC 3339 time.",
            ));
        }
    };
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            fail(
                "expires_at",
                "not_a_time",
                "The expiry is an RFC 3339 time, like 2026-12-31T18:00:00+06:00.",
            )
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(fail(
            "expires_at",
            "in_the_past",
            "The expiry must be in the future.",
        ));
    }
    if at > now + Duration::days(LONGEST_WINDOW_DAYS) {
        return Err(fail(
            "expires_at",
            "too_far",
            format!("The expiry may be at most {LONGEST_WINDOW_DAYS} days ahead."),
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(now: DateTime<Utc>) -> Rules<'static> {
        Rules {
            services: &[ServiceKind::Passport, ServiceKind::MekenCard],
            max_amount_tyiyn: 1_000_000,
            now,
        }
    }

    fn codes(body: Value) -> Vec<(&'static str, &'static str)> {
        let now = "2026-12-01T00:00:00Z".parse().unwrap();
        match parse(&body, &rules(now)) {
            Ok(_) => vec![],
            Err(errors) => errors.iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    #[test]
    fn a_good_draft_parses() {
        let now = "2026-12-01T00:00:00Z".parse().unwrap();
        let body = json!({"service": "passport", "applicant_name": " Асанов Бакыт ",
            "amount": 150000, "expires_at": "2026-12-31T18:00:00+06:00",
            "reference": "PSP-1", "description": "Паспорт"});
        let draft = parse(&body, &rules(now)).unwrap();
        assert_eq!(draft.applicant_name, "Асанов Бакыт");
        assert_eq!(draft.amount.tyiyn(), 150_000);
        assert_eq!(
            draft.expires_at,
            "2026-12-31T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(draft.description.as_deref(), Some("Паспорт"));
    }

    #[test]
    fn each_failure_names_its_field() {
        assert_eq!(codes(json!([])), vec![("body", "not_an_object")]);
        let got = codes(json!({"service": "visa", "applicant_name": "", "amount": 0,
            "expires_at": "2026-11-30T00:00:00Z", "description": 5}));
        assert_eq!(
            got,
            vec![
                ("service", "unknown"),
                ("applicant_name", "blank"),
                ("amount", "not_positive"),
                ("expires_at", "in_the_past"),
                ("reference", "missing"),
                ("description", "not_a_string"),
            ]
        );
        let got = codes(
            json!({"service": "driving_licence", "applicant_name": "A\u{0}",
            "amount": 1.5, "expires_at": "tomorrow", "reference": "r".repeat(256)}),
        );
        assert_eq!(
            got,
            vec![
                ("service", "not_permitted"),
                ("applicant_name", "control_characters"),
                ("amount", "not_an_integer"),
                ("expires_at", "not_a_time"),
                ("reference", "too_long"),
            ]
        );
        let got = codes(
            json!({"service": "passport", "applicant_name": "A", "amount": 1_000_001,
            "expires_at": "2028-01-01T00:00:00Z", "reference": "x"}),
        );
        assert_eq!(
            got,
            vec![("amount", "too_large"), ("expires_at", "too_far")]
        );
    }
}
