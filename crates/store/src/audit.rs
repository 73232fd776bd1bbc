//! The DPA 2018 s.62 audit log: one row per collection, alteration, consultation, disclosure,
//! combination or erasure of personal data, written in the same transaction as the act.
//!
//! Rows are numbered 1, 2, 3, … with no gaps and chained: each row's `hash` is
//! SHA-256(`prev_hash` ‖ "\n" ‖ canonical content), where `prev_hash` is the previous row's
//! hash (64 zeros for the first row) and the canonical content is a JSON array of every other
//! column, instants in their fixed-width text form. Editing, deleting or reordering rows
//! therefore breaks the chain, which [`verify`] detects.
//!
//! Appends are serialised by updating the one-row `audit_head` table first: on PostgreSQL that
//! takes a row lock held until the transaction ends, so a concurrent append waits and then sees
//! the new head; on SQLite `BEGIN IMMEDIATE` already admits one writer at a time.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{Db, Tx, on_tx};
use crate::error::StoreError;
use crate::time::Instant;

/// The hash that the first row links to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done to personal data (DPA 2018 s.62(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Collection,
    Alteration,
    Consultation,
    Disclosure,
    Combination,
    Erasure,
}

impl AuditAction {
    pub const ALL: [AuditAction; 6] = [
        AuditAction::Collection,
        AuditAction::Alteration,
        AuditAction::Consultation,
        AuditAction::Disclosure,
        AuditAction::Combination,
        AuditAction::Erasure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Collection => "collection",
            AuditAction::Alteration => "alteration",
            AuditAction::Consultation => "consultation",
            AuditAction::Disclosure => "disclosure",
            AuditAction::Combination => "combination",
            AuditAction::Erasure => "erasure",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// An entry to append. Build with [`AuditEntry::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// The user who acted; `None` for the system itself (imports, retention runs).
    pub actor_id: Option<Uuid>,
    /// A readable name for the actor (username or "system"), kept even if the user is erased.
    pub actor: String,
    pub action: AuditAction,
    /// What kind of record was touched ("person", "case", "report", …).
    pub subject_type: String,
    /// Which one (an id, or a description of the set for searches and extracts).
    pub subject_id: String,
    /// Required by s.62(2) for consultation and disclosure: why it was done.
    pub justification: Option<String>,
    /// Anything else worth keeping: changed fields, recipients of a disclosure, search terms.
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub fn new(
        actor_id: Option<Uuid>,
        actor: impl Into<String>,
        action: AuditAction,
        subject_type: impl Into<String>,
        subject_id: impl ToString,
    ) -> AuditEntry {
        AuditEntry {
            actor_id,
            actor: actor.into(),
            action,
            subject_type: subject_type.into(),
            subject_id: subject_id.to_string(),
            justification: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn with_justification(mut self, justification: impl Into<String>) -> AuditEntry {
        self.justification = Some(justification.into());
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> AuditEntry {
        self.details = details;
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub sequence: i64,
    pub id: Uuid,
    pub occurred_at: Instant,
    pub actor_id: Option<Uuid>,
    pub actor: String,
    /// One of [`AuditAction::as_str`]; see [`AuditRecord::action`].
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub justification: Option<String>,
    pub details_json: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    pub fn action(&self) -> Option<AuditAction> {
        AuditAction::parse(&self.action)
    }

    /// The hash this row should carry given its content and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        chain_hash(
            &self.prev_hash,
            &canonical_content(
                self.sequence,
                self.id,
                self.occurred_at,
                self.actor_id,
                &self.actor,
                &self.action,
                &self.subject_type,
                &self.subject_id,
                self.justification.as_deref(),
                &self.details_json,
            ),
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn canonical_content(
    sequence: i64,
    id: Uuid,
    occurred_at: Instant,
    actor_id: Option<Uuid>,
    actor: &str,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    justification: Option<&str>,
    details_json: &str,
) -> String {
    serde_json::json!([
        sequence,
        id.to_string(),
        occurred_at.to_canonical_string(),
        actor_id.map(|a| a.to_string()),
        actor,
        action,
        subject_type,
        subject_id,
        justification,
        details_json,
    ])
    .to_string()
}

fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.as_bytes());
    hex::encode(hasher.finalize())
}

const SELECT_RECORD: &str = "SELECT sequence, id, occurred_at, actor_id, actor, action, \
     subject_type, subject_id, justification, details_json, prev_hash, hash FROM audit_log";

/// Appends an entry inside `tx`; it commits or rolls back with the change it records.
pub async fn append(tx: &mut Tx, entry: AuditEntry) -> Result<AuditRecord, StoreError> {
    // One entry is a batch of one: the same head claim, chain and insert as `append_all`.
    append_all(tx, vec![entry])
        .await?
        .pop()
        .ok_or_else(|| StoreError::InvalidStoredValue("audit append wrote no row".to_owned()))
}

/// Appends several entries inside `tx` with one claim on the head: the same chain as calling
/// [`append`] for each in turn, in far fewer statements (an import links thousands of
/// records a minute, each with its own row).
pub async fn append_all(
    tx: &mut Tx,
    entries: Vec<AuditEntry>,
) -> Result<Vec<AuditRecord>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let count = entries.len() as i64;
    // Claim the sequence numbers. On PostgreSQL this row lock serialises appenders until
    // commit; a rollback releases the numbers with everything else. The previous hash must come
    // from the head row itself: after waiting for the lock, PostgreSQL re-reads the locked row,
    // but a subquery on `audit_log` in the same statement would still see the snapshot taken
    // before the other appender committed, and chain to the wrong row.
    let (last_sequence, mut prev_hash): (i64, String) = on_tx!(tx, |conn| {
        sqlx::query_as(
            "UPDATE audit_head SET last_sequence = last_sequence + $1 \
             RETURNING last_sequence, last_hash",
        )
        .bind(count)
        .fetch_one(conn)
        .await?
    });
    let occurred_at = tx.now();
    let mut records = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let sequence = last_sequence - count + 1 + i as i64;
        let id = Uuid::now_v7();
        let action = entry.action.as_str();
        let details_json = entry.details.to_string();
        let hash = chain_hash(
            &prev_hash,
            &canonical_content(
                sequence,
                id,
                occurred_at,
                entry.actor_id,
                &entry.actor,
                action,
                &entry.subject_type,
                &entry.subject_id,
                entry.justification.as_deref(),
                &details_json,
            ),
        );
        records.push(AuditRecord {
            sequence,
            id,
            occurred_at,
            actor_id: entry.actor_id,
            actor: entry.actor,
            action: action.to_owned(),
            subject_type: entry.subject_type,
            subject_id: entry.subject_id,
            justification: entry.justification,
            details_json,
            prev_hash: std::mem::take(&mut prev_hash),
            hash: hash.clone(),
        });
        prev_hash = hash;
    }
    // Few rows a statement: sqlx looks SQLite parameters up by name, quadratic in their count.
    for chunk in records.chunks(40) {
        let values = (0..chunk.len())
            .map(|r| {
                let p = |c: usize| format!("${}", r * 12 + c + 1);
                format!("({})", (0..12).map(p).collect::<Vec<_>>().join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO audit_log (sequence, id, occurred_at, actor_id, actor, action, \
             subject_type, subject_id, justification, details_json, prev_hash, hash) \
             VALUES {values}"
        );
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for record in chunk {
                query = query
                    .bind(record.sequence)
                    .bind(record.id)
                    .bind(record.occurred_at)
                    .bind(record.actor_id)
                    .bind(&record.actor)
                    .bind(&record.action)
                    .bind(&record.subject_type)
                    .bind(&record.subject_id)
                    .bind(&record.justification)
                    .bind(&record.details_json)
                    .bind(&record.prev_hash)
                    .bind(&record.hash);
            }
            query.execute(conn).await?.rows_affected()
        });
    }
    on_tx!(tx, |conn| {
        sqlx::query("UPDATE audit_head SET last_hash = $1")
            .bind(&prev_hash)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(records)
}

/// Sets `audit_head` from the last row of `audit_log` (after a restore).
pub(crate) async fn reset_head(tx: &mut Tx) -> Result<(), StoreError> {
    let last: Option<(i64, String)> = on_tx!(tx, |conn| {
        sqlx::query_as("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
            .fetch_optional(conn)
            .await?
    });
    let (sequence, hash) = last.unwrap_or((0, GENESIS_HASH.to_owned()));
    on_tx!(tx, |conn| {
        sqlx::query("UPDATE audit_head SET last_sequence = $1, last_hash = $2")
            .bind(sequence)
            .bind(&hash)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// The audit rows about one subject, oldest first.
pub async fn for_subject(
    tx: &mut Tx,
    subject_type: &str,
    subject_id: &str,
) -> Result<Vec<AuditRecord>, StoreError> {
    let sql =
        format!("{SELECT_RECORD} WHERE subject_type = $1 AND subject_id = $2 ORDER BY sequence");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(subject_type)
            .bind(subject_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Rows with `after < sequence`, oldest first, at most `limit`.
pub async fn page(tx: &mut Tx, after: i64, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    let sql = format!("{SELECT_RECORD} WHERE sequence > $1 ORDER BY sequence LIMIT $2");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(conn)
            .await?
    }))
}

/// What is wrong at the first broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// Sequence numbers jump: rows `missing_from..=missing_to` were deleted.
    MissingRows { missing_from: i64, missing_to: i64 },
    /// The row's content no longer matches its hash: it was edited.
    EditedRow,
    /// The row is intact but links to a row that now sits later in the chain: rows were
    /// reordered (their contents swapped or renumbered).
    Reordered { links_to_sequence: i64 },
    /// The row is intact but its predecessor is not the row it was chained to: the previous
    /// row was edited and its hash recomputed, or replaced.
    PredecessorReplaced,
    /// The head records more rows than the log holds: the newest rows were deleted.
    TruncatedTail { head_sequence: i64 },
}

/// The first place the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub sequence: i64,
    pub problem: ChainProblem,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sequence = self.sequence;
        match &self.problem {
            ChainProblem::MissingRows {
                missing_from,
                missing_to,
            } if missing_from == missing_to => {
                write!(
                    f,
                    "row {missing_from} is missing (deleted) before row {sequence}"
                )
            }
            ChainProblem::MissingRows {
                missing_from,
                missing_to,
            } => write!(
                f,
                "rows {missing_from}..={missing_to} are missing (deleted) before row {sequence}"
            ),
            ChainProblem::EditedRow => {
                write!(
                    f,
                    "row {sequence} was edited: its content does not match its hash"
                )
            }
            ChainProblem::Reordered { links_to_sequence } => write!(
                f,
                "row {sequence} is out of order: it links to the row now numbered {links_to_sequence}"
            ),
            ChainProblem::PredecessorReplaced => write!(
                f,
                "row {sequence} does not link to row {}: that row was altered or replaced",
                sequence - 1
            ),
            ChainProblem::TruncatedTail { head_sequence } => write!(
                f,
                "rows {sequence}..={head_sequence} are missing (deleted from the end of the log)"
            ),
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Rows read before stopping (all of them when the chain is intact).
    pub rows_checked: i64,
    pub first_break: Option<BrokenLink>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

const VERIFY_PAGE: i64 = 2000;

/// Walks the whole chain in one consistent snapshot and reports the first broken link.
pub async fn verify(db: &Db) -> Result<Verification, StoreError> {
    let mut tx = db.begin_read().await?;
    let mut expected_sequence = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut rows_checked = 0;
    loop {
        let rows = page(&mut tx, expected_sequence - 1, VERIFY_PAGE).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            rows_checked += 1;
            let problem = if row.sequence != expected_sequence {
                Some(ChainProblem::MissingRows {
                    missing_from: expected_sequence,
                    missing_to: row.sequence - 1,
                })
            } else if row.prev_hash != prev_hash {
                Some(match sequence_with_hash(&mut tx, &row.prev_hash).await? {
                    Some(later) if later > row.sequence => ChainProblem::Reordered {
                        links_to_sequence: later,
                    },
                    _ if row.expected_hash() != row.hash => ChainProblem::EditedRow,
                    _ => ChainProblem::PredecessorReplaced,
                })
            } else if row.expected_hash() != row.hash {
                Some(ChainProblem::EditedRow)
            } else {
                None
            };
            if let Some(problem) = problem {
                tx.rollback().await?;
                return Ok(Verification {
                    rows_checked,
                    first_break: Some(BrokenLink {
                        sequence: row.sequence,
                        problem,
                    }),
                });
            }
            prev_hash = row.hash;
            expected_sequence += 1;
        }
    }
    let head_sequence: i64 = on_tx!(&mut tx, |conn| {
        sqlx::query_scalar("SELECT last_sequence FROM audit_head")
            .fetch_one(conn)
            .await?
    });
    tx.rollback().await?;
    let first_break = (head_sequence >= expected_sequence).then_some(BrokenLink {
        sequence: expected_sequence,
        problem: ChainProblem::TruncatedTail { head_sequence },
    });
    Ok(Verification {
        rows_checked,
        first_break,
    })
}

async fn sequence_with_hash(tx: &mut Tx, hash: &str) -> Result<Option<i64>, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT sequence FROM audit_log WHERE hash = $1")
            .bind(hash)
            .fetch_optional(conn)
            .await?
    }))
}
