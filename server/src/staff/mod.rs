//! The operator's staff: accounts (argon2id passwords in [`password`], TOTP
//! second factors in [`totp`]), signing in with both, locking an account
//! after failed attempts, throttling sign-ins per account and per address,
//! and the audit entry every staff action writes. The command line
//! (`server user …`, [`cli`]) and the back office's admin pages both call
//! the [`StaffDesk`]; the pages themselves are `crate::backoffice`'s.

pub mod cli;
pub mod password;
pub mod totp;

use crate::config::StaffSettings;
use crate::storage::{AuditEntry, PaymentStore, StaffChange, StaffRecord, StoreError};
use app::services::Clock;
use chrono::{DateTime, Utc};
use domain::staff::Role;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Who does something, as the audit log names them.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub id: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// Why a sign-in step failed; the page says each its own way.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many attempts a minute for this account or this address.
    #[error("too many sign-in attempts")]
    Throttled,
    /// Wrong email, password or code: which one is not said.
    #[error("wrong credentials")]
    Wrong,
    #[error("the account is locked")]
    Locked { until: DateTime<Utc> },
    #[error("{0}")]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an email address has an @ and at most 254 characters")]
    Email,
    #[error("{0}")]
    Password(#[from] password::PasswordError),
    #[error("an account with this email exists")]
    Taken,
    #[error("no such account")]
    NoAccount,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// A new account or a reset one, with what is shown once.
#[derive(Debug)]
pub struct Credentials {
    pub staff: StaffRecord,
    /// A password the server chose (the back office's add and reset).
    pub password: Option<String>,
    /// The enrolment URI, when the second factor was enrolled at once (the
    /// command line); otherwise it is enrolled at the first sign-in.
    pub enrolment_uri: Option<String>,
}

/// The staff accounts' service.
pub struct StaffDesk {
    pub store: Arc<dyn PaymentStore>,
    pub clock: Clock,
    pub settings: StaffSettings,
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
}

/// Trimmed and lower-cased; `None` unless it looks like an address.
pub fn normalise_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (user, host) = email.split_once('@')?;
    (!user.is_empty()
        && !host.is_empty()
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then_some(email)
}

fn per_minute(n: u32) -> DefaultKeyedRateLimiter<String> {
    RateLimiter::keyed(Quota::per_minute(
        NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
    ))
}

impl StaffDesk {
    pub fn new(store: Arc<dyn PaymentStore>, clock: Clock, settings: StaffSettings) -> StaffDesk {
        StaffDesk {
            per_account: per_minute(settings.attempts_per_account),
            per_address: per_minute(settings.attempts_per_address),
            store,
            clock,
            settings,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// An audit entry of `actor` doing `action` to a record.
    pub fn entry(&self, actor: &Actor, action: &str, record: Option<(&str, &str)>) -> AuditEntry {
        AuditEntry {
            at: self.now(),
            actor_id: actor.id.clone(),
            actor_email: actor.email.clone(),
            action: action.to_owned(),
            record_type: record.map(|r| r.0.to_owned()),
            record_id: record.map(|r| r.1.to_owned()),
            address: actor.address.clone(),
            ..AuditEntry::default()
        }
    }

    /// Writes an audit entry of an action that changes nothing stored.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        record: Option<(&str, &str)>,
        after: Option<String>,
    ) -> Result<(), StoreError> {
        let mut entry = self.entry(actor, action, record);
        entry.after = after;
        self.store.append_audit(&entry).await
    }

    fn throttle(&self, email: &str, address: &str) -> Result<(), SignInError> {
        // Emails sprayed at the form must not grow the limiters for ever.
        for limiter in [&self.per_account, &self.per_address] {
            if limiter.len() > 100_000 {
                limiter.retain_recent();
            }
        }
        let account = self.per_account.check_key(&email.to_owned()).is_ok();
        let client = self.per_address.check_key(&address.to_owned()).is_ok();
        if account && client {
            Ok(())
        } else {
            Err(SignInError::Throttled)
        }
    }

    fn locked(&self, staff: &StaffRecord) -> Option<DateTime<Utc>> {
        staff.locked_until.filter(|until| *until > self.now())
    }

    /// One more failure for an existing account, locking it at the limit.
    async fn failed(&self, staff: &StaffRecord, actor: &Actor, why: &str) -> SignInError {
        let lock_until =
            self.now() + chrono::Duration::from_std(self.settings.lock_for).unwrap_or_default();
        let mut entry = self.entry(actor, "sign_in_failed", Some(("staff", &staff.id)));
        entry.after = Some(serde_json::json!({ "step": why }).to_string());
        let change = StaffChange::Failed {
            lock_after: i64::from(self.settings.lock_after),
            lock_until,
        };
        if let Err(e) = self.store.change_staff(&staff.id, change, &entry).await {
            return e.into();
        }
        if staff.failed_attempts + 1 >= i64::from(self.settings.lock_after) {
            SignInError::Locked { until: lock_until }
        } else {
            SignInError::Wrong
        }
    }

    /// The first step: email and password. The account's failures count
    /// and lock it; an unknown or disabled account is answered as a wrong
    /// password, after as long.
    pub async fn check_password(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<StaffRecord, SignInError> {
        let email = normalise_email(email).unwrap_or_default();
        self.throttle(&email, address)?;
        let found = match email.is_empty() {
            true => None,
            false => self.store.staff_by_email(&email).await?,
        };
        let actor = Actor {
            id: found.as_ref().map(|s| s.id.clone()),
            email: (!email.is_empty()).then(|| email.clone()),
            address: Some(address.to_owned()),
        };
        let usable = found.filter(|s| s.disabled_at.is_none());
        let phc = usable.as_ref().map(|s| s.password_hash.clone());
        let right = password::verify_off_thread(phc, password.to_owned()).await;
        let Some(staff) = usable else {
            self.audit(&actor, "sign_in_failed", None, None).await?;
            return Err(SignInError::Wrong);
        };
        if let Some(until) = self.locked(&staff) {
            self.audit(&actor, "sign_in_locked", Some(("staff", &staff.id)), None)
                .await?;
            return Err(SignInError::Locked { until });
        }
        if !right {
            return Err(self.failed(&staff, &actor, "password").await);
        }
        Ok(staff)
    }

    /// The second step: a one-time code from the account's authenticator,
    /// or, at the first sign-in, from the one being enrolled with `enrol`.
    pub async fn check_code(
        &self,
        id: &str,
        code: &str,
        enrol: Option<&str>,
        address: &str,
    ) -> Result<StaffRecord, SignInError> {
        let staff = self
            .store
            .staff_by_id(id)
            .await?
            .filter(|s| s.disabled_at.is_none())
            .ok_or(SignInError::Wrong)?;
        self.throttle(&staff.email, address)?;
        let actor = Actor {
            id: Some(staff.id.clone()),
            email: Some(staff.email.clone()),
            address: Some(address.to_owned()),
        };
        if let Some(until) = self.locked(&staff) {
            self.audit(&actor, "sign_in_locked", Some(("staff", &staff.id)), None)
                .await?;
            return Err(SignInError::Locked { until });
        }
        let secret = staff.totp_secret.as_deref().or(enrol);
        let now = u64::try_from(self.now().timestamp()).unwrap_or_default();
        let Some(step) = secret.and_then(|secret| totp::check(secret, code, now)) else {
            return Err(self.failed(&staff, &actor, "code").await);
        };
        let entry = self.entry(&actor, "sign_in", Some(("staff", &staff.id)));
        let enrol = staff.totp_secret.is_none().then_some(enrol).flatten();
        let change = StaffChange::SignedIn {
            step,
            enrol,
            at: self.now(),
        };
        if !self.store.change_staff(&staff.id, change, &entry).await? {
            // The code was used already (a replay).
            return Err(self.failed(&staff, &actor, "code reused").await);
        }
        Ok(staff)
    }

    /// Creates an account. With `password`, that one (the command line, and
    /// the second factor is enrolled at once); without, one is chosen and
    /// the second factor is enrolled at the first sign-in.
    pub async fn add(
        &self,
        actor: &Actor,
        email: &str,
        role: Role,
        password: Option<String>,
    ) -> Result<Credentials, AccountError> {
        let email = normalise_email(email).ok_or(AccountError::Email)?;
        let enrol_now = password.is_some();
        let (password, shown) = given_or_new(password)?;
        let secret = enrol_now.then(totp::new_secret);
        let staff = StaffRecord {
            id: crate::agencies::keys::new_id("usr"),
            email,
            role,
            password_hash: password::hash_off_thread(password).await,
            totp_secret: secret.clone(),
            last_totp_step: None,
            failed_attempts: 0,
            locked_until: None,
            credentials_version: 1,
            disabled_at: None,
            created_at: self.now(),
        };
        let mut entry = self.entry(actor, "user_created", Some(("staff", &staff.id)));
        entry.after = Some(describe(&staff));
        if !self.store.add_staff(&staff, &entry).await? {
            return Err(AccountError::Taken);
        }
        let enrolment_uri =
            secret.and_then(|s| totp::enrolment_uri(&s, &self.settings.issuer, &staff.email));
        Ok(Credentials {
            staff,
            password: shown,
            enrolment_uri,
        })
    }

    /// A new password and a new second factor, enrolled like [`Self::add`]'s;
    /// the account is unlocked and its sessions end.
    pub async fn reset(
        &self,
        actor: &Actor,
        id: &str,
        password: Option<String>,
    ) -> Result<Credentials, AccountError> {
        let before = self
            .store
            .staff_by_id(id)
            .await?
            .ok_or(AccountError::NoAccount)?;
        let enrol_now = password.is_some();
        let (password, shown) = given_or_new(password)?;
        let hash = password::hash_off_thread(password).await;
        let secret = enrol_now.then(totp::new_secret);
        let mut entry = self.entry(actor, "user_reset", Some(("staff", id)));
        entry.before = Some(describe(&before));
        let reset = StaffChange::Reset {
            password_hash: &hash,
            totp_secret: secret.as_deref(),
        };
        if !self.store.change_staff(id, reset, &entry).await? {
            return Err(AccountError::NoAccount);
        }
        let enrolment_uri =
            secret.and_then(|s| totp::enrolment_uri(&s, &self.settings.issuer, &before.email));
        let staff = self
            .store
            .staff_by_id(id)
            .await?
            .ok_or(AccountError::NoAccount)?;
        Ok(Credentials {
            staff,
            password: shown,
            enrolment_uri,
        })
    }

    /// A new role, or disabling or enabling an account; false when nothing
    /// changed (no such account, or already so).
    pub async fn change(
        &self,
        actor: &Actor,
        id: &str,
        change: StaffChange<'_>,
    ) -> Result<bool, AccountError> {
        let before = self
            .store
            .staff_by_id(id)
            .await?
            .ok_or(AccountError::NoAccount)?;
        let action = match change {
            StaffChange::Role(_) => "user_role_changed",
            StaffChange::Disabled(_) => "user_disabled",
            _ => "user_enabled",
        };
        let mut entry = self.entry(actor, action, Some(("staff", id)));
        entry.before = Some(describe(&before));
        let mut after = before.clone();
        match change {
            StaffChange::Role(role) => after.role = role,
            StaffChange::Disabled(at) => after.disabled_at = Some(at),
            _ => after.disabled_at = None,
        }
        entry.after = Some(describe(&after));
        Ok(self.store.change_staff(id, change, &entry).await?)
    }
}

/// What the audit log keeps of an account: never its password or secret.
fn describe(staff: &StaffRecord) -> String {
    serde_json::json!({
        "email": staff.email,
        "role": staff.role.as_str(),
        "disabled": staff.disabled_at.is_some(),
    })
    .to_string()
}

/// The password given (checked), or a new one that is also to be shown.
fn given_or_new(given: Option<String>) -> Result<(String, Option<String>), AccountError> {
    match given {
        Some(password) => {
            password::check_new(&password)?;
            Ok((password, None))
        }
        None => {
            let password = password::new_password();
            Ok((password.clone(), Some(password)))
        }
    }
}
