//! Reoffending monitoring: stored linkage models, imported arrests, their links to people, the
//! clerical review queue and reoffending events (migration `0004_monitoring`).
//!
//! Arrests are written many rows per statement: a feed of a million rows is the normal case,
//! and one round trip per row would cost more than the linking itself. Re-imports are made
//! idempotent by the database (`ON CONFLICT (source, arrest_ref) DO NOTHING`), so a crashed
//! import that is run again adds only what the crash lost.

use std::collections::HashSet;

use uuid::Uuid;

use crate::db::{Backend, Tx, on_tx};
use crate::error::{Entity, StoreError, not_found};
use crate::time::{CivilDate, Instant};

/// Rows per multi-row statement. SQLite's parameters are anonymous (see [`placeholders`]), so
/// binding costs the same per parameter however wide the statement; 200 rows of 15 columns
/// stay well inside both backends' parameter limits (32,766 and 65,535).
const ROWS_PER_STATEMENT: usize = 200;

// ---------------------------------------------------------------------------------------------
// Models

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ModelRow {
    pub version: i64,
    pub method: String,
    pub model_json: String,
    pub people: i64,
    pub arrests: i64,
    pub labels: i64,
    pub created_by: String,
    pub created_at: Instant,
}

/// A model to store; its version is the next number.
#[derive(Debug, Clone)]
pub struct NewModel<'a> {
    pub method: &'a str,
    pub model_json: &'a str,
    pub people: i64,
    pub arrests: i64,
    pub labels: i64,
    pub created_by: &'a str,
}

const MODEL_COLUMNS: &str =
    "version, method, model_json, people, arrests, labels, created_by, created_at";

/// Stores a model as the next version and returns that version.
pub async fn insert_model(tx: &mut Tx, model: &NewModel<'_>) -> Result<i64, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO linkage_models ({MODEL_COLUMNS}) \
         SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3, $4, $5, $6, $7 FROM linkage_models \
         RETURNING version"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(model.method)
            .bind(model.model_json)
            .bind(model.people)
            .bind(model.arrests)
            .bind(model.labels)
            .bind(model.created_by)
            .bind(now)
            .fetch_one(conn)
            .await?
    }))
}

/// The newest model, if any was ever trained.
pub async fn latest_model(tx: &mut Tx) -> Result<Option<ModelRow>, StoreError> {
    let sql = format!("SELECT {MODEL_COLUMNS} FROM linkage_models ORDER BY version DESC LIMIT 1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_optional(conn)
            .await?
    }))
}

pub async fn model(tx: &mut Tx, version: i64) -> Result<ModelRow, StoreError> {
    let sql = format!("SELECT {MODEL_COLUMNS} FROM linkage_models WHERE version = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(version)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::LinkageModel))
    })
}

// ---------------------------------------------------------------------------------------------
// People, as the linker sees them

/// The identifying fields of a person, for the linkage index.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonIdentity {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: CivilDate,
    pub postcode: Option<String>,
    pub pnc_id: Option<String>,
    pub created_at: Instant,
}

/// People created at or after `since` (everyone when `None`), oldest first; people
/// pseudonymised at retention review are left out (nothing identifies them any more). The
/// index asks for `since` = the newest `created_at` it holds, so rows sharing that instant
/// come back again and are skipped by id.
pub async fn people_since(
    tx: &mut Tx,
    since: Option<Instant>,
) -> Result<Vec<PersonIdentity>, StoreError> {
    let select = "SELECT id, given_name, family_name, date_of_birth, postcode, pnc_id, \
                  created_at FROM people WHERE pseudonymised_at IS NULL";
    Ok(match since {
        None => on_tx!(tx, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{select} ORDER BY created_at, id"
            )))
            .fetch_all(conn)
            .await?
        }),
        Some(since) => on_tx!(tx, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{select} AND created_at >= $1 ORDER BY created_at, id"
            )))
            .bind(since)
            .fetch_all(conn)
            .await?
        }),
    })
}

/// Everyone pseudonymised at retention review, for the index to forget (a retention run in
/// another process cannot tell the server's index itself).
pub async fn pseudonymised_people(tx: &mut Tx) -> Result<Vec<Uuid>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM people WHERE pseudonymised_at IS NOT NULL")
            .fetch_all(conn)
            .await?
    }))
}

// ---------------------------------------------------------------------------------------------
// Arrests

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArrestRow {
    pub id: Uuid,
    pub source: String,
    pub arrest_ref: String,
    pub given_name: String,
    pub surname: String,
    pub dob: String,
    pub postcode: String,
    pub pnc_id: String,
    pub arrest_date: CivilDate,
    pub offence: String,
    /// `link`, `review` or `no_link`.
    pub band: String,
    pub best_person_id: Option<Uuid>,
    pub best_probability: Option<f64>,
    pub model_version: i64,
    pub imported_at: Instant,
}

const ARREST_COLUMNS: &str = "id, source, arrest_ref, given_name, surname, dob, postcode, \
     pnc_id, arrest_date, offence, band, best_person_id, best_probability, model_version, \
     imported_at";
const ARREST_WIDTH: usize = 15;

/// The parameters of a multi-row statement: `($1, …, $n), ($n+1, …)` for `rows` rows of
/// `width` on PostgreSQL, numbered from `first`; plain `?` on SQLite. The two spell the same
/// statement (parameters bound in order): sqlx looks every numbered SQLite parameter's name
/// up, a search through all of the statement's names, so numbered wide statements cost the
/// square of their width, while anonymous ones are bound by position.
pub(crate) fn placeholders(backend: Backend, first: usize, rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        if width > 1 {
            out.push('(');
        }
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(first + r * width + c).to_string());
                }
            }
        }
        if width > 1 {
            out.push(')');
        }
    }
    out
}

/// Inserts arrests, skipping any whose (source, arrest_ref) is already stored. Returns the ids
/// of the rows actually inserted. `imported_at` is the transaction's instant.
pub async fn insert_arrests(
    tx: &mut Tx,
    arrests: &[ArrestRow],
) -> Result<HashSet<Uuid>, StoreError> {
    let now = tx.now();
    let mut inserted = HashSet::with_capacity(arrests.len());
    let backend = tx.backend();
    for chunk in arrests.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO arrests ({ARREST_COLUMNS}) VALUES {} \
             ON CONFLICT (source, arrest_ref) DO NOTHING RETURNING id",
            placeholders(backend, 1, chunk.len(), ARREST_WIDTH)
        );
        let ids: Vec<Uuid> = on_tx!(tx, |conn| {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for a in chunk {
                query = query
                    .bind(a.id)
                    .bind(&a.source)
                    .bind(&a.arrest_ref)
                    .bind(&a.given_name)
                    .bind(&a.surname)
                    .bind(&a.dob)
                    .bind(&a.postcode)
                    .bind(&a.pnc_id)
                    .bind(a.arrest_date)
                    .bind(&a.offence)
                    .bind(&a.band)
                    .bind(a.best_person_id)
                    .bind(a.best_probability)
                    .bind(a.model_version)
                    .bind(now);
            }
            query.fetch_all(conn).await?
        });
        inserted.extend(ids);
    }
    Ok(inserted)
}

/// Which of these references are already stored for `source`.
pub async fn known_refs(
    tx: &mut Tx,
    source: &str,
    refs: &[&str],
) -> Result<HashSet<String>, StoreError> {
    let mut known = HashSet::new();
    let backend = tx.backend();
    for chunk in refs.chunks(ROWS_PER_STATEMENT) {
        let source_at = placeholders(backend, 1, 1, 1);
        let list = placeholders(backend, 2, chunk.len(), 1);
        let sql = format!(
            "SELECT arrest_ref FROM arrests WHERE source = {source_at} AND arrest_ref IN ({list})"
        );
        let found: Vec<String> = on_tx!(tx, |conn| {
            // Not a prepared statement: PostgreSQL would cache a generic plan made while the
            // table was empty (a sequential scan) and keep using it as the table grows.
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(source);
            for r in chunk {
                query = query.bind(*r);
            }
            query.fetch_all(conn).await?
        });
        known.extend(found);
    }
    Ok(known)
}

pub async fn arrest(tx: &mut Tx, id: Uuid) -> Result<ArrestRow, StoreError> {
    let sql = format!("SELECT {ARREST_COLUMNS} FROM arrests WHERE id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::Arrest))
    })
}

/// Up to `limit` stored arrests, oldest import first: a sample to train on.
pub async fn sample_arrests(tx: &mut Tx, limit: i64) -> Result<Vec<ArrestRow>, StoreError> {
    let sql = format!("SELECT {ARREST_COLUMNS} FROM arrests ORDER BY imported_at, id LIMIT $1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(conn)
            .await?
    }))
}

pub async fn count_arrests(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT COUNT(*) FROM arrests")
            .fetch_one(conn)
            .await?
    }))
}

// ---------------------------------------------------------------------------------------------
// Links

/// How a link was made.
pub const VIA_AUTOMATIC: &str = "automatic";
pub const VIA_CLERICAL: &str = "clerical";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LinkRow {
    pub arrest_id: Uuid,
    pub person_id: Uuid,
    pub match_probability: f64,
    pub match_weight: f64,
    pub explanation_json: String,
    /// [`VIA_AUTOMATIC`] or [`VIA_CLERICAL`].
    pub via: String,
    pub decided_by: Option<Uuid>,
    pub model_version: i64,
    pub linked_at: Instant,
}

const LINK_COLUMNS: &str = "arrest_id, person_id, match_probability, match_weight, \
     explanation_json, via, decided_by, model_version, linked_at";
const LINK_WIDTH: usize = 9;

/// Inserts links; `linked_at` is the transaction's instant.
pub async fn insert_links(tx: &mut Tx, links: &[LinkRow]) -> Result<(), StoreError> {
    let now = tx.now();
    let backend = tx.backend();
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO arrest_links ({LINK_COLUMNS}) VALUES {}",
            placeholders(backend, 1, chunk.len(), LINK_WIDTH)
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for l in chunk {
                query = query
                    .bind(l.arrest_id)
                    .bind(l.person_id)
                    .bind(l.match_probability)
                    .bind(l.match_weight)
                    .bind(&l.explanation_json)
                    .bind(&l.via)
                    .bind(l.decided_by)
                    .bind(l.model_version)
                    .bind(now);
            }
            query.execute(conn).await?.rows_affected()
        });
    }
    Ok(())
}

pub async fn links_for_person(tx: &mut Tx, person_id: Uuid) -> Result<Vec<LinkRow>, StoreError> {
    let sql = format!(
        "SELECT {LINK_COLUMNS} FROM arrest_links WHERE person_id = $1 ORDER BY linked_at, arrest_id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(conn)
            .await?
    }))
}

pub async fn link_for_arrest(tx: &mut Tx, arrest_id: Uuid) -> Result<Option<LinkRow>, StoreError> {
    let sql = format!("SELECT {LINK_COLUMNS} FROM arrest_links WHERE arrest_id = $1");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(arrest_id)
            .fetch_optional(conn)
            .await?
    }))
}

// ---------------------------------------------------------------------------------------------
// Clerical review queue

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_CONFIRMED: &str = "confirmed";
pub const STATUS_REJECTED: &str = "rejected";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ClericalRow {
    pub arrest_id: Uuid,
    pub person_id: Uuid,
    pub match_probability: f64,
    pub match_weight: f64,
    pub explanation_json: String,
    pub status: String,
    pub model_version: i64,
    pub queued_at: Instant,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<Instant>,
    pub reason: Option<String>,
}

const CLERICAL_COLUMNS: &str = "arrest_id, person_id, match_probability, match_weight, \
     explanation_json, status, model_version, queued_at, decided_by, decided_at, reason";
const CLERICAL_WIDTH: usize = 8;

/// Queues pairs as pending; `queued_at` is the transaction's instant.
pub async fn queue_reviews(tx: &mut Tx, pairs: &[ClericalRow]) -> Result<(), StoreError> {
    let now = tx.now();
    let backend = tx.backend();
    for chunk in pairs.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO clerical_reviews (arrest_id, person_id, match_probability, \
             match_weight, explanation_json, model_version, queued_at, status) VALUES {}",
            placeholders(backend, 1, chunk.len(), CLERICAL_WIDTH)
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in chunk {
                query = query
                    .bind(p.arrest_id)
                    .bind(p.person_id)
                    .bind(p.match_probability)
                    .bind(p.match_weight)
                    .bind(&p.explanation_json)
                    .bind(p.model_version)
                    .bind(now)
                    .bind(STATUS_PENDING);
            }
            query.execute(conn).await?.rows_affected()
        });
    }
    Ok(())
}

/// What to look for in the pending queue: part of a name (the arrest's or the person's, given
/// and family name together or either alone), an arrest reference, or a case reference of the
/// person; case-insensitive.
fn search_clause(at: usize) -> String {
    format!(
        " AND (LOWER(a.given_name || ' ' || a.surname) LIKE ${at} ESCAPE '\\' \
         OR LOWER(p.given_name || ' ' || p.family_name) LIKE ${at} ESCAPE '\\' \
         OR LOWER(a.arrest_ref) LIKE ${at} ESCAPE '\\' \
         OR EXISTS (SELECT 1 FROM cases k WHERE k.person_id = c.person_id \
                    AND LOWER(k.reference) LIKE ${at} ESCAPE '\\'))"
    )
}

/// `%text%`, lower-cased, with LIKE's wildcards in `text` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for ch in text.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

const PENDING_FROM: &str = "FROM clerical_reviews c JOIN arrests a ON a.id = c.arrest_id \
     JOIN people p ON p.id = c.person_id WHERE c.status = 'pending'";

/// Pending pairs, oldest first, keyset-paginated by (queued_at, arrest_id); only those
/// matching `search` when given (see [`search_clause`]).
pub async fn pending_reviews(
    tx: &mut Tx,
    search: Option<&str>,
    after: Option<(Instant, Uuid)>,
    limit: i64,
) -> Result<Vec<ClericalRow>, StoreError> {
    let columns = CLERICAL_COLUMNS
        .split(", ")
        .map(|c| format!("c.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!("SELECT {columns} {PENDING_FROM}");
    let mut at = 1;
    if search.is_some() {
        sql.push_str(&search_clause(at));
        at += 1;
    }
    if after.is_some() {
        sql.push_str(&format!(
            " AND (c.queued_at > ${at} OR (c.queued_at = ${at} AND c.arrest_id > ${}))",
            at + 1
        ));
        at += 2;
    }
    sql.push_str(&format!(" ORDER BY c.queued_at, c.arrest_id LIMIT ${at}"));
    let pattern = search.map(contains_pattern);
    Ok(on_tx!(tx, |conn| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        if let Some(pattern) = &pattern {
            query = query.bind(pattern);
        }
        if let Some((queued_at, arrest_id)) = after {
            query = query.bind(queued_at).bind(arrest_id);
        }
        query.bind(limit).fetch_all(conn).await?
    }))
}

/// How many pairs are pending (matching `search`, when given).
pub async fn count_pending_reviews(tx: &mut Tx, search: Option<&str>) -> Result<i64, StoreError> {
    let pattern = search.map(contains_pattern);
    Ok(match pattern {
        None => on_tx!(tx, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM clerical_reviews WHERE status = 'pending'")
                .fetch_one(conn)
                .await?
        }),
        Some(pattern) => on_tx!(tx, |conn| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) {PENDING_FROM}{}",
                search_clause(1)
            )))
            .bind(&pattern)
            .fetch_one(conn)
            .await?
        }),
    })
}

/// How many pairs have been confirmed or rejected (labels for the next refit).
pub async fn count_decided_reviews(tx: &mut Tx) -> Result<i64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT COUNT(*) FROM clerical_reviews WHERE status <> 'pending'")
            .fetch_one(conn)
            .await?
    }))
}

pub async fn review(tx: &mut Tx, arrest_id: Uuid) -> Result<ClericalRow, StoreError> {
    let sql = format!("SELECT {CLERICAL_COLUMNS} FROM clerical_reviews WHERE arrest_id = $1");
    on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(arrest_id)
            .fetch_one(conn)
            .await
            .map_err(not_found(Entity::ClericalReview))
    })
}

/// Records a decision on a pending pair. A pair already decided (by someone else, a moment
/// ago) is a [`StoreError::Conflict`]: the first decision stands.
pub async fn decide_review(
    tx: &mut Tx,
    arrest_id: Uuid,
    status: &str,
    decided_by: Uuid,
    reason: Option<&str>,
) -> Result<ClericalRow, StoreError> {
    let now = tx.now();
    let sql = format!(
        "UPDATE clerical_reviews SET status = $2, decided_by = $3, decided_at = $4, reason = $5 \
         WHERE arrest_id = $1 AND status = 'pending' RETURNING {CLERICAL_COLUMNS}"
    );
    let row: Option<ClericalRow> = on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(arrest_id)
            .bind(status)
            .bind(decided_by)
            .bind(now)
            .bind(reason)
            .fetch_optional(conn)
            .await?
    });
    match row {
        Some(row) => Ok(row),
        None => {
            // Not pending: either decided already or not there at all.
            review(tx, arrest_id).await?;
            Err(StoreError::Conflict { current_version: 1 })
        }
    }
}

/// Every decided pair with its arrest, for re-estimating the model from the labels.
pub async fn decided_reviews(tx: &mut Tx) -> Result<Vec<ClericalRow>, StoreError> {
    let sql = format!(
        "SELECT {CLERICAL_COLUMNS} FROM clerical_reviews WHERE status <> 'pending' \
         ORDER BY decided_at, arrest_id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(conn)
            .await?
    }))
}

// ---------------------------------------------------------------------------------------------
// Reoffending events

pub const PHASE_IN_CONTRACT: &str = "in_contract";
pub const PHASE_FOLLOW_UP: &str = "follow_up";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReoffendingRow {
    pub id: Uuid,
    pub arrest_id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// [`PHASE_IN_CONTRACT`] or [`PHASE_FOLLOW_UP`].
    pub phase: String,
    pub arrest_date: CivilDate,
    pub offence: String,
    pub recorded_at: Instant,
}

const REOFFENDING_COLUMNS: &str =
    "id, arrest_id, case_id, person_id, phase, arrest_date, offence, recorded_at";

/// Records a reoffending event; a second one for the same arrest and case is ignored.
pub async fn insert_reoffending(tx: &mut Tx, event: &ReoffendingRow) -> Result<bool, StoreError> {
    let now = tx.now();
    let sql = format!(
        "INSERT INTO reoffending_events ({REOFFENDING_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (arrest_id, case_id) DO NOTHING"
    );
    let affected = on_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event.id)
            .bind(event.arrest_id)
            .bind(event.case_id)
            .bind(event.person_id)
            .bind(&event.phase)
            .bind(event.arrest_date)
            .bind(&event.offence)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(affected == 1)
}

pub async fn reoffending_for_case(
    tx: &mut Tx,
    case_id: Uuid,
) -> Result<Vec<ReoffendingRow>, StoreError> {
    let sql = format!(
        "SELECT {REOFFENDING_COLUMNS} FROM reoffending_events WHERE case_id = $1 \
         ORDER BY arrest_date, id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Every reoffending event, for reports (one row per arrest and case).
pub async fn all_reoffending(tx: &mut Tx) -> Result<Vec<ReoffendingRow>, StoreError> {
    let sql = format!(
        "SELECT {REOFFENDING_COLUMNS} FROM reoffending_events ORDER BY case_id, arrest_date, id"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(conn)
            .await?
    }))
}

/// The newest model whose method is not `method` (the base a refit starts from).
pub async fn latest_model_not(tx: &mut Tx, method: &str) -> Result<Option<ModelRow>, StoreError> {
    let sql = format!(
        "SELECT {MODEL_COLUMNS} FROM linkage_models WHERE method <> $1 \
         ORDER BY version DESC LIMIT 1"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(method)
            .fetch_optional(conn)
            .await?
    }))
}

/// Which of these people have at least one case (links to anyone else act on nothing).
pub async fn people_with_cases(tx: &mut Tx, ids: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
    let mut found = HashSet::new();
    let backend = tx.backend();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let list = placeholders(backend, 1, chunk.len(), 1);
        let sql = format!("SELECT DISTINCT person_id FROM cases WHERE person_id IN ({list})");
        let rows: Vec<Uuid> = on_tx!(tx, |conn| {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(conn).await?
        });
        found.extend(rows);
    }
    Ok(found)
}
