//! The back office's settings (`crate::staff`, `crate::backoffice`): how
//! long a staff session lasts, when failed sign-ins lock an account, and
//! how fast sign-ins are allowed per account and per address; each unset
//! setting keeps [`StaffSettings::default`]'s value.

use super::ConfigError;
use super::read::Vars;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct StaffSettings {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after its sign-in, used or not.
    pub absolute_timeout: Duration,
    /// Failed sign-ins in a row (password or code) that lock an account.
    pub lock_after: u32,
    pub lock_for: Duration,
    /// Sign-in attempts a minute, per account and per client address.
    pub attempts_per_account: u32,
    pub attempts_per_address: u32,
    /// The issuer named in authenticator apps.
    pub issuer: String,
}

impl Default for StaffSettings {
    fn default() -> Self {
        StaffSettings {
            // PCI DSS 8.2.8: 15 minutes idle.
            idle_timeout: Duration::from_secs(15 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            // PCI DSS 8.3.4: at most 10 tries, locked at least 30 minutes.
            lock_after: 5,
            lock_for: Duration::from_secs(30 * 60),
            attempts_per_account: 10,
            attempts_per_address: 30,
            issuer: "tolem".into(),
        }
    }
}

pub fn settings(vars: &Vars<'_>) -> Result<StaffSettings, ConfigError> {
    let default = StaffSettings::default();
    let secs = |name, default: Duration| {
        vars.positive(name, default.as_secs())
            .map(Duration::from_secs)
    };
    let count = |name, default: u32| {
        vars.positive(name, u64::from(default))
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    Ok(StaffSettings {
        idle_timeout: secs("TOLEM_STAFF_IDLE_SECS", default.idle_timeout)?,
        absolute_timeout: secs("TOLEM_STAFF_SESSION_SECS", default.absolute_timeout)?,
        lock_after: count("TOLEM_STAFF_LOCK_AFTER", default.lock_after)?,
        lock_for: secs("TOLEM_STAFF_LOCK_SECS", default.lock_for)?,
        attempts_per_account: count(
            "TOLEM_STAFF_ATTEMPTS_PER_ACCOUNT",
            default.attempts_per_account,
        )?,
        attempts_per_address: count(
            "TOLEM_STAFF_ATTEMPTS_PER_ADDRESS",
            default.attempts_per_address,
        )?,
        issuer: vars.get("TOLEM_STAFF_ISSUER").unwrap_or(default.issuer),
    })
}
