//! Bodies and helpers shared by several areas.

use crate::error::ApiError;
use checkpoint_app::{Actor, AppError, Role};
use serde::de::DeserializeOwned;
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

/// Converts between a web mirror enum and the application's enum of the same snake_case
/// names. The mirrors exist so the OpenAPI schemas live here, not in the domain; the unit
/// tests of each mirror check every variant converts.
pub fn convert<A: Serialize, B: DeserializeOwned>(value: &A) -> Result<B, ApiError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| AppError::Internal(format!("mirror enum out of step: {e}")).into())
}

/// Renders a serialisable value as its snake_case word (`eligible`, `needs_information`).
pub fn word<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Defines a snake_case mirror of an application enum, with its schema and a test that every
/// variant converts to the application's type.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $target:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn to_app(self) -> Result<$target, $crate::error::ApiError> {
                $crate::api::common::convert(&self)
            }
        }
    };
}
pub(crate) use mirror_enum;

/// The body of a step that needs nothing but the version it is based on (which may come in
/// `If-Match` instead, leaving the body empty).
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    /// The case version this step is based on (or send `If-Match: "v{version}"`).
    pub version: Option<i64>,
}

/// Collects the names of required fields that are missing, to answer all of them at once.
#[derive(Debug, Default)]
pub struct Required(Vec<crate::error::ProblemField>);

impl Required {
    pub fn take<T>(&mut self, field: &str, value: Option<T>, why: &str) -> Option<T> {
        if value.is_none() {
            self.0.push(crate::error::ProblemField {
                field: field.to_owned(),
                location: crate::error::FieldLocation::Body,
                detail: why.to_owned(),
            });
        }
        value
    }

    /// The 422 naming every missing field; call when a `take` returned `None`.
    pub fn into_error(self) -> ApiError {
        ApiError::Invalid(self.0)
    }
}
