//! The lifecycle of a service request and how its owner is shown on the
//! payment page.

use serde::{Deserialize, Serialize};

/// Where a service request stands.
///
/// Serialised with the same names as [`RequestStatus::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Issued and waiting for the citizen to pay.
    AwaitingPayment,
    /// Paid; paying again would charge twice.
    Paid,
    /// The payment window closed.
    Expired,
    /// Withdrawn by the agency or the citizen.
    Cancelled,
}

impl RequestStatus {
    /// Every status.
    pub const ALL: [RequestStatus; 4] = [
        RequestStatus::AwaitingPayment,
        RequestStatus::Paid,
        RequestStatus::Expired,
        RequestStatus::Cancelled,
    ];

    /// Stable machine name, used in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::AwaitingPayment => "awaiting_payment",
            RequestStatus::Paid => "paid",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    /// The translation key of the status's name.
    #[must_use]
    pub fn message_key(self) -> &'static str {
        match self {
            RequestStatus::AwaitingPayment => "status_awaiting_payment",
            RequestStatus::Paid => "status_paid",
            RequestStatus::Expired => "status_expired",
            RequestStatus::Cancelled => "status_cancelled",
        }
    }

    /// Inverse of [`RequestStatus::as_str`].
    #[must_use]
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a payment may be taken for a request in this status.
    #[must_use]
    pub fn is_payable(self) -> bool {
        matches!(self, RequestStatus::AwaitingPayment)
    }
}

/// Masks a full name so the citizen can recognise their own request without
/// the page revealing whose request a payment code belongs to.
///
/// The first word (the surname) keeps its first and last letter when it has
/// four or more letters (`Асанов` → `А****в`); a shorter one keeps only its
/// first letter. Every other word becomes an initial and a dot:
/// `Асанов Бакыт Алмазович` → `А****в Б. А.`. Works by character, so Cyrillic
/// (and any other script) is handled.
#[must_use]
pub fn mask_person_name(full_name: &str) -> String {
    let mut words = full_name.split_whitespace();
    let Some(surname) = words.next() else {
        return String::new();
    };
    let mut out = mask_surname(surname);
    for word in words {
        if let Some(initial) = word.chars().next() {
            out.push(' ');
            out.push(initial);
            out.push('.');
        }
    }
    out
}

fn mask_surname(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let (Some(&first), Some(&last)) = (chars.first(), chars.last()) else {
        return String::new();
    };
    let mut out = String::new();
    out.push(first);
    if chars.len() >= 4 {
        out.extend(std::iter::repeat_n('*', chars.len() - 2));
        out.push(last);
    } else {
        // At least one asterisk, so a one-letter surname is not shown whole.
        out.extend(std::iter::repeat_n('*', (chars.len() - 1).max(1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in RequestStatus::ALL {
            assert_eq!(RequestStatus::from_str_opt(s.as_str()), Some(s));
            assert_eq!(s.is_payable(), s == RequestStatus::AwaitingPayment);
        }
        assert_eq!(RequestStatus::AwaitingPayment.as_str(), "awaiting_payment");
        assert_eq!(RequestStatus::Paid.as_str(), "paid");
        assert_eq!(RequestStatus::Expired.as_str(), "expired");
        assert_eq!(RequestStatus::Cancelled.as_str(), "cancelled");
        assert_eq!(RequestStatus::from_str_opt("PAID"), None);
    }

    #[test]
    fn masking_names() {
        let cases: &[(&str, &str)] = &[
            ("Асанов Бакыт Алмазович", "А****в Б. А."),
            ("Асанов", "А****в"),
            ("  Асанов   Бакыт  ", "А****в Б."),
            ("Ким Айгуль", "К** А."),
            ("Ли", "Л*"),
            ("Ы", "Ы*"),
            ("Осмо", "О**о"),
            ("Smith John", "S***h J."),
            ("Ötük-Ümüt Эркин", "Ö*******t Э."),
            ("", ""),
            ("   ", ""),
        ];
        for (input, want) in cases {
            assert_eq!(mask_person_name(input), *want, "{input:?}");
        }
    }
}
