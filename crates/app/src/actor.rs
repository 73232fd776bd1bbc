//! Who is acting: a signed-in user with one role (design.md §7).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Custody sergeant or other decision maker at the custody desk.
    CustodyOfficer,
    /// Case worker who runs contracts (sees own and own team's cases).
    Navigator,
    /// Decides non-compliance reviews, countersigns overrides, balances caseloads.
    Supervisor,
    /// PCC office or evaluator: pseudonymised data only.
    Analyst,
    /// Force IT: users, policies, backups; no case data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::CustodyOfficer,
        Role::Navigator,
        Role::Supervisor,
        Role::Analyst,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CustodyOfficer => "custody_officer",
            Role::Navigator => "navigator",
            Role::Supervisor => "supervisor",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::CustodyOfficer => "Custody officer",
            Role::Navigator => "Navigator",
            Role::Supervisor => "Supervisor",
            Role::Analyst => "Analyst",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role (expected custody_officer, navigator, supervisor, analyst or admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The signed-in user a use case acts for. `System` is used by imports and scheduled jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub team: Option<String>,
}

impl Actor {
    /// The name written in audit rows and case events.
    pub fn audit_name(&self) -> &str {
        &self.username
    }
}
