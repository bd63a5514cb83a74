//! The operator's staff roles and what each may do in the back office.
//! Deny by default: a role may do exactly what [`Role::may`] lists.

use std::fmt;
use std::str::FromStr;

/// A staff member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Users, agencies and API keys, documents, and everything below.
    Admin,
    /// Payments, refunds, exports.
    Finance,
    /// Payments read-only, the feedback inbox.
    Support,
    /// Payments read-only.
    Viewer,
}

/// Something a back-office page or form does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The payment list and a payment's page.
    ReadPayments,
    /// The applicant's full name on a payment's page.
    ReadApplicantNames,
    /// The CSV export of payments.
    ExportPayments,
    /// Staff accounts: create, reset, change role, disable.
    ManageUsers,
    /// The audit log.
    ReadAudit,
    /// The feedback inbox: read messages, mark them handled.
    HandleFeedback,
    /// Return part or all of a payment to the card.
    Refund,
    /// Publish a new edition of a document (the policy, the agreement).
    PublishDocuments,
    /// Agencies, their API keys, webhook endpoints and deliveries.
    ManageAgencies,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Finance, Role::Support, Role::Viewer];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::Support => "support",
            Role::Viewer => "viewer",
        }
    }

    /// The translation key of the role's name.
    #[must_use]
    pub fn message_key(self) -> &'static str {
        match self {
            Role::Admin => "role_admin",
            Role::Finance => "role_finance",
            Role::Support => "role_support",
            Role::Viewer => "role_viewer",
        }
    }

    /// Whether this role may do `permission`.
    #[must_use]
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Finance => matches!(
                permission,
                ReadPayments | ReadApplicantNames | ExportPayments | Refund
            ),
            Role::Support => matches!(
                permission,
                ReadPayments | ReadApplicantNames | HandleFeedback
            ),
            Role::Viewer => matches!(permission, ReadPayments),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of the four roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownRole;

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown role: one of admin, finance, support, viewer")
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_fail() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!("root".parse::<Role>(), Err(UnknownRole));
    }

    #[test]
    fn only_admins_manage_users_and_only_viewers_lack_names() {
        use Permission::*;
        let who_may = |p| {
            Role::ALL
                .into_iter()
                .filter(|r| r.may(p))
                .collect::<Vec<_>>()
        };
        assert_eq!(who_may(ManageUsers), [Role::Admin]);
        assert_eq!(who_may(ReadAudit), [Role::Admin]);
        assert_eq!(who_may(ExportPayments), [Role::Admin, Role::Finance]);
        assert_eq!(
            who_may(ReadApplicantNames),
            [Role::Admin, Role::Finance, Role::Support]
        );
        assert_eq!(who_may(ReadPayments), Role::ALL);
        assert_eq!(who_may(HandleFeedback), [Role::Admin, Role::Support]);
        assert_eq!(who_may(Refund), [Role::Admin, Role::Finance]);
        assert_eq!(who_may(PublishDocuments), [Role::Admin]);
        assert_eq!(who_may(ManageAgencies), [Role::Admin]);
    }
}
