//! The limits on card testing and lookups (`crate::abuse`), from settings;
//! each unset setting keeps [`AbuseLimits::default`]'s value.

use super::ConfigError;
use super::read::Vars;
use crate::abuse::{AbuseLimits, Limit};
use std::time::Duration;

pub fn limits(vars: &Vars<'_>) -> Result<AbuseLimits, ConfigError> {
    let default = AbuseLimits::default();
    let count = |name, default: i64| {
        vars.positive(name, default.unsigned_abs())
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    };
    let secs = |name, default: Duration| {
        vars.positive(name, default.as_secs())
            .map(Duration::from_secs)
    };
    let limit = |attempts, declines, default: Limit| -> Result<Limit, ConfigError> {
        Ok(Limit {
            attempts: count(attempts, default.attempts)?,
            declines: count(declines, default.declines)?,
        })
    };
    let percent = vars.number(
        "TOLEM_TRIPWIRE_DECLINE_PERCENT",
        default.tripwire_decline_percent.unsigned_abs(),
    )?;
    if percent > 100 {
        return Err(ConfigError::new(
            "TOLEM_TRIPWIRE_DECLINE_PERCENT",
            "must be a share from 0 (off) to 100",
        ));
    }
    Ok(AbuseLimits {
        enabled: vars.flag("TOLEM_ATTEMPT_LIMITS", default.enabled)?,
        window: secs("TOLEM_ATTEMPT_WINDOW_SECS", default.window)?,
        per_client: limit(
            "TOLEM_ATTEMPTS_PER_CLIENT",
            "TOLEM_DECLINES_PER_CLIENT",
            default.per_client,
        )?,
        per_card: limit(
            "TOLEM_ATTEMPTS_PER_CARD",
            "TOLEM_DECLINES_PER_CARD",
            default.per_card,
        )?,
        per_code: limit(
            "TOLEM_ATTEMPTS_PER_CODE",
            "TOLEM_DECLINES_PER_CODE",
            default.per_code,
        )?,
        tripwire_decline_percent: i64::try_from(percent).unwrap_or(100),
        tripwire_min_attempts: count("TOLEM_TRIPWIRE_MIN_ATTEMPTS", default.tripwire_min_attempts)?,
        tripwire_window: secs("TOLEM_TRIPWIRE_WINDOW_SECS", default.tripwire_window)?,
        cool_down: secs("TOLEM_COOL_DOWN_SECS", default.cool_down)?,
        lookups_per_minute: u32::try_from(vars.number(
            "TOLEM_LOOKUPS_PER_MINUTE",
            u64::from(default.lookups_per_minute),
        )?)
        .unwrap_or(u32::MAX),
        lookup_floor: Duration::from_millis(vars.number(
            "TOLEM_LOOKUP_FLOOR_MS",
            u64::try_from(default.lookup_floor.as_millis()).unwrap_or(50),
        )?),
    })
}
