//! Reading settings by name: whole numbers, durations and flags, each
//! refused with a message that names the setting. The values come from a
//! lookup function rather than the process environment itself, so the
//! unit tests can give each case its own settings without touching the
//! environment other tests read.

use super::ConfigError;

/// Where settings are looked up: the environment, or a test's table.
pub struct Vars<'a>(pub &'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    /// The value of `name`; unset and blank are the same.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    pub fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value.trim().parse().map_err(|_| {
                ConfigError::new(name, format!("must be a whole number, got {value:?}"))
            }),
        }
    }

    pub fn positive(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.number(name, default)? {
            0 => Err(ConfigError::new(name, "must be more than 0")),
            n => Ok(n),
        }
    }

    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .get(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None => Ok(default),
            Some("1" | "true" | "yes" | "on") => Ok(true),
            Some("0" | "false" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                name,
                format!("must be true or false, got {other:?}"),
            )),
        }
    }
}
