//! People: the identity and demographics of those referred.

use checkpoint_domain::person::PersonDetails;
use uuid::Uuid;

use crate::codes::{from_code, to_code};
use crate::db::{Tx, on_tx};
use crate::error::{Entity, StoreError, not_found};
use crate::time::{CivilDate, Instant};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: CivilDate,
    /// [`checkpoint_domain::person::Sex`] as its snake_case name.
    pub sex: String,
    /// [`checkpoint_domain::person::Ethnicity`] as its snake_case name.
    pub ethnicity_self_defined: Option<String>,
    /// [`checkpoint_domain::person::EthnicGroup`] as its snake_case name.
    pub ethnicity_officer_observed: Option<String>,
    pub postcode: Option<String>,
    pub pnc_id: Option<String>,
    pub resides_in_force_area: Option<bool>,
    pub created_at: Instant,
}

impl PersonRow {
    /// The domain view of this person.
    pub fn details(&self) -> Result<PersonDetails, StoreError> {
        Ok(PersonDetails {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            date_of_birth: self.date_of_birth.get(),
            sex: from_code(&self.sex)?,
            ethnicity_self_defined: self
                .ethnicity_self_defined
                .as_deref()
                .map(from_code)
                .transpose()?,
            ethnicity_officer_observed: self
                .ethnicity_officer_observed
                .as_deref()
                .map(from_code)
                .transpose()?,
            postcode: self.postcode.clone(),
            pnc_id: self.pnc_id.clone(),
            resides_in_force_area: self.resides_in_force_area,
        })
    }
}

const COLUMNS: &str = "id, given_name, family_name, date_of_birth, sex, ethnicity_self_defined, \
     ethnicity_officer_observed, postcode, pnc_id, resides_in_force_area, created_at";

pub async fn insert(tx: &mut Tx, person: &PersonDetails) -> Result<PersonRow, StoreError> {
    let sql = format!(
        "INSERT INTO people ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         RETURNING {COLUMNS}"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::now_v7())
            .bind(&person.given_name)
            .bind(&person.family_name)
            .bind(CivilDate(person.date_of_birth))
            .bind(to_code(&person.sex))
            .bind(person.ethnicity_self_defined.as_ref().map(to_code))
            .bind(person.ethnicity_officer_observed.as_ref().map(to_code))
            .bind(&person.postcode)
            .bind(&person.pnc_id)
            .bind(person.resides_in_force_area)
            .bind(Instant::now())
            .fetch_one(conn)
            .await?
    }))
}

pub async fn get(tx: &mut Tx, id: Uuid) -> Result<PersonRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Person))
    })
}

/// Replaces the person's details (corrections at the desk); returns the new row.
pub async fn update(
    tx: &mut Tx,
    id: Uuid,
    person: &PersonDetails,
) -> Result<PersonRow, StoreError> {
    let sql = format!(
        "UPDATE people SET given_name = $2, family_name = $3, date_of_birth = $4, sex = $5, \
         ethnicity_self_defined = $6, ethnicity_officer_observed = $7, postcode = $8, \
         pnc_id = $9, resides_in_force_area = $10 WHERE id = $1 RETURNING {COLUMNS}"
    );
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(&person.given_name)
            .bind(&person.family_name)
            .bind(CivilDate(person.date_of_birth))
            .bind(to_code(&person.sex))
            .bind(person.ethnicity_self_defined.as_ref().map(to_code))
            .bind(person.ethnicity_officer_observed.as_ref().map(to_code))
            .bind(&person.postcode)
            .bind(&person.pnc_id)
            .bind(person.resides_in_force_area)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Person))
    })
}

/// People whose PNC id matches exactly.
pub async fn find_by_pnc_id(tx: &mut Tx, pnc_id: &str) -> Result<Vec<PersonRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM people WHERE pnc_id = $1 ORDER BY id");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(pnc_id)
            .fetch_all(conn)
            .await?
    }))
}
