//! Bodies shared by several areas.

use checkpoint_app::{Actor, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user's role (mirrors [`checkpoint_app::Role`]; kept here so the schema lives with HTTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    CustodyOfficer,
    Navigator,
    Supervisor,
    Analyst,
    Admin,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> RoleName {
        match role {
            Role::CustodyOfficer => RoleName::CustodyOfficer,
            Role::Navigator => RoleName::Navigator,
            Role::Supervisor => RoleName::Supervisor,
            Role::Analyst => RoleName::Analyst,
            Role::Admin => RoleName::Admin,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Role {
        match role {
            RoleName::CustodyOfficer => Role::CustodyOfficer,
            RoleName::Navigator => Role::Navigator,
            RoleName::Supervisor => Role::Supervisor,
            RoleName::Analyst => Role::Analyst,
            RoleName::Admin => Role::Admin,
        }
    }
}

/// A signed-in user, as they see themselves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserBody {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: RoleName,
    pub team: Option<String>,
}

impl From<&Actor> for UserBody {
    fn from(actor: &Actor) -> UserBody {
        UserBody {
            id: actor.user_id,
            username: actor.username.clone(),
            display_name: actor.display_name.clone(),
            role: actor.role.into(),
            team: actor.team.clone(),
        }
    }
}
