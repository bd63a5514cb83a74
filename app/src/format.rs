//! Amounts, dates and times as each language writes them. Times are stored in
//! UTC and always shown in Bishkek time.

use crate::i18n::Locale;
use chrono::{DateTime, NaiveDate, Utc};
use domain::Money;

pub fn money(locale: Locale, amount: Money) -> String {
    match locale {
        // Russian and Kyrgyz group thousands with a no-break space.
        Locale::ru | Locale::ky => format!("{} сом", amount.format("\u{a0}", ",")),
        Locale::en => format!("KGS {}", amount.format(",", ".")),
    }
}

pub fn date(_locale: Locale, day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// The day of a moment in Bishkek, as `date` writes it.
pub fn day(locale: Locale, moment: DateTime<Utc>) -> String {
    date(
        locale,
        moment.with_timezone(&chrono_tz::Asia::Bishkek).date_naive(),
    )
}

/// A moment as HTTP's `Last-Modified` writes it.
pub fn http_date(moment: DateTime<Utc>) -> String {
    moment.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub fn date_time(_locale: Locale, moment: DateTime<Utc>) -> String {
    moment
        .with_timezone(&chrono_tz::Asia::Bishkek)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn amounts_follow_the_language() {
        let amount = Money::from_tyiyn(123_450).unwrap();
        assert_eq!(money(Locale::ru, amount), "1\u{a0}234,50 сом");
        assert_eq!(money(Locale::en, amount), "KGS 1,234.50");
    }

    #[test]
    fn times_are_shown_in_bishkek() {
        let moment = Utc.with_ymd_and_hms(2026, 11, 25, 20, 30, 0).unwrap();
        assert_eq!(date_time(Locale::ru, moment), "26.11.2026 02:30");
    }
}
