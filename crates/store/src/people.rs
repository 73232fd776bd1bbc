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
    let now = tx.now();
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
            .bind(now)
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

/// A value bound into a query built from optional parts.
#[derive(Debug, Clone)]
enum Param {
    Text(String),
    Date(CivilDate),
}

/// Appends `$n` for `param` to `params` and returns the placeholder.
fn placeholder(params: &mut Vec<Param>, param: Param) -> String {
    params.push(param);
    format!("${}", params.len())
}

/// `lower(family_name)` in `[prefix, prefix with its last character bumped)`: a range the
/// `people_family_name_lower` index answers on both backends (a `LIKE` would not use it on
/// PostgreSQL under a non-C collation).
fn family_prefix_clause(params: &mut Vec<Param>, prefix: &str) -> Option<String> {
    let mut upper: Vec<char> = prefix.chars().collect();
    let last = upper.pop()?;
    upper.push(char::from_u32(u32::from(last) + 1)?);
    let low = placeholder(params, Param::Text(prefix.to_owned()));
    let high = placeholder(params, Param::Text(upper.into_iter().collect()));
    Some(format!(
        "(lower(family_name) >= {low} AND lower(family_name) < {high})"
    ))
}

async fn fetch_where(
    tx: &mut Tx,
    condition: &str,
    params: &[Param],
    limit: i64,
    offset: i64,
) -> Result<Vec<PersonRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM people WHERE {condition} \
         ORDER BY family_name, given_name, id LIMIT {limit} OFFSET {offset}"
    );
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for param in params {
            query = match param {
                Param::Text(text) => query.bind(text.clone()),
                Param::Date(date) => query.bind(*date),
            };
        }
        query.fetch_all(conn).await?
    }))
}

/// Candidates for a likely-duplicate check: anyone born on one of `dates`, or with this PNC
/// id, or whose lower-cased family name starts with one of `family_prefixes`. Every branch is
/// answered by an index, so the cost follows the number of candidates, not of people; the
/// caller scores them. At most `limit` rows.
pub async fn likely_candidates(
    tx: &mut Tx,
    dates: &[jiff::civil::Date],
    pnc_id: Option<&str>,
    family_prefixes: &[String],
    limit: i64,
) -> Result<Vec<PersonRow>, StoreError> {
    let mut params = Vec::new();
    let mut branches = Vec::new();
    if !dates.is_empty() {
        let list: Vec<String> = dates
            .iter()
            .map(|d| placeholder(&mut params, Param::Date(CivilDate(*d))))
            .collect();
        branches.push(format!("date_of_birth IN ({})", list.join(", ")));
    }
    if let Some(pnc_id) = pnc_id {
        let p = placeholder(&mut params, Param::Text(pnc_id.to_owned()));
        branches.push(format!("pnc_id = {p}"));
    }
    for prefix in family_prefixes {
        branches.extend(family_prefix_clause(&mut params, prefix));
    }
    if branches.is_empty() {
        return Ok(Vec::new());
    }
    fetch_where(tx, &branches.join(" OR "), &params, limit, 0).await
}

/// What a people search asks for; the parts given are all required to match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSearch {
    /// Lower-case start of the family name.
    pub family_prefix: Option<String>,
    /// Lower-case start of the given name.
    pub given_prefix: Option<String>,
    pub pnc_id: Option<String>,
    pub date_of_birth: Option<jiff::civil::Date>,
}

/// The `WHERE` condition and parameters of a people search; `None` for an empty search.
fn search_condition(search: &PersonSearch) -> Option<(String, Vec<Param>)> {
    let mut params = Vec::new();
    let mut parts = Vec::new();
    if let Some(prefix) = &search.family_prefix {
        parts.extend(family_prefix_clause(&mut params, prefix));
    }
    if let Some(prefix) = &search.given_prefix {
        let p = placeholder(&mut params, Param::Text(format!("{prefix}%")));
        parts.push(format!("lower(given_name) LIKE {p}"));
    }
    if let Some(pnc_id) = &search.pnc_id {
        let p = placeholder(&mut params, Param::Text(pnc_id.clone()));
        parts.push(format!("pnc_id = {p}"));
    }
    if let Some(date) = search.date_of_birth {
        let p = placeholder(&mut params, Param::Date(CivilDate(date)));
        parts.push(format!("date_of_birth = {p}"));
    }
    if parts.is_empty() {
        None
    } else {
        Some((parts.join(" AND "), params))
    }
}

/// People matching `search`, by family then given name, `limit` from `offset`. Callers strip
/// `%` and `_` from prefixes. An empty search finds nobody.
pub async fn search(
    tx: &mut Tx,
    search: &PersonSearch,
    limit: i64,
    offset: i64,
) -> Result<Vec<PersonRow>, StoreError> {
    match search_condition(search) {
        Some((condition, params)) => fetch_where(tx, &condition, &params, limit, offset).await,
        None => Ok(Vec::new()),
    }
}

/// How many people match `search` (the same condition as [`search`]); 0 for an empty search.
pub async fn count_search(tx: &mut Tx, search: &PersonSearch) -> Result<i64, StoreError> {
    let Some((condition, params)) = search_condition(search) else {
        return Ok(0);
    };
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM people WHERE {condition}");
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
        for param in &params {
            query = match param {
                Param::Text(text) => query.bind(text.clone()),
                Param::Date(date) => query.bind(*date),
            };
        }
        query.fetch_one(conn).await?
    }))
}
