//! Backups: a SQLite online snapshot, and a portable dump that restores into an empty database
//! of either backend.
//!
//! The portable format is JSON lines:
//! 1. a header `{"format":"checkpoint-dump","format_version":1,"schema_version":…,
//!    "source_backend":…,"created_at":…}`;
//! 2. one line per row, `{"t":"<table>","r":[values in TABLES column order]}`, tables in
//!    dependency order (parents first), each table's rows in primary-key order;
//! 3. a trailer `{"end":true,"rows":{"<table>":count,…}}`, so a truncated file is refused.
//!
//! Values are written in their portable text form (UUIDs hyphenated, instants in the
//! fixed-width UTC form, dates `YYYY-MM-DD`), so a SQLite dump restores into PostgreSQL and
//! back, and the audit chain (whose hashes cover those same forms) still verifies.
//! `audit_head` is not dumped: restore recomputes it from the last audit row.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use futures_util::TryStreamExt;
use serde_json::{Value as Json, json};
use sqlx::{Decode, Row, Type};
use uuid::Uuid;

use crate::arrests::placeholders;
use crate::db::{Backend, Db, Tx, on_tx};
use crate::error::StoreError;
use crate::time::{CivilDate, Instant};

pub const DUMP_FORMAT: &str = "checkpoint-dump";
pub const DUMP_FORMAT_VERSION: i64 = 1;

/// How a column is read, written and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Uuid,
    Text,
    Int,
    /// A double-precision number (match probabilities and weights).
    Real,
    Bool,
    Instant,
    Date,
}

/// A table in the dump: its columns (all of them; a test checks this against the schema) and
/// the primary-key order its rows are written in.
#[derive(Debug)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, ColumnKind)],
    pub order_by: &'static str,
}

use ColumnKind as K;

/// Tables left out of dumps: short-lived security state, not records. `sign_in_failures` holds
/// the last 15 minutes of failed sign-ins (sign-in throttling); a restored database starts
/// with none.
pub const NOT_DUMPED: &[&str] = &[
    "sign_in_failures",
    // The reports' read model: derived from the records, and rebuilt after a restore (the
    // restored rows' triggers mark every case stale).
    "report_case_facts",
    "report_stale_cases",
];

/// Every table that holds data, parents before children.
pub const TABLES: &[TableSpec] = &[
    TableSpec {
        name: "users",
        columns: &[
            ("id", K::Uuid),
            ("username", K::Text),
            ("display_name", K::Text),
            ("role", K::Text),
            ("team", K::Text),
            ("password_hash", K::Text),
            ("disabled", K::Bool),
            ("created_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "sessions",
        columns: &[
            ("token_hash", K::Text),
            ("user_id", K::Uuid),
            ("created_at", K::Instant),
            ("expires_at", K::Instant),
        ],
        order_by: "token_hash",
    },
    TableSpec {
        name: "people",
        columns: &[
            ("id", K::Uuid),
            ("given_name", K::Text),
            ("family_name", K::Text),
            ("date_of_birth", K::Date),
            ("sex", K::Text),
            ("ethnicity_self_defined", K::Text),
            ("ethnicity_officer_observed", K::Text),
            ("postcode", K::Text),
            ("pnc_id", K::Text),
            ("resides_in_force_area", K::Bool),
            ("created_at", K::Instant),
            ("pseudonymised_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "referrals",
        columns: &[
            ("id", K::Uuid),
            ("person_id", K::Uuid),
            ("scheme_id", K::Text),
            ("policy_id", K::Text),
            ("input_json", K::Text),
            ("referred_by", K::Uuid),
            ("received_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "decisions",
        columns: &[
            ("id", K::Uuid),
            ("referral_id", K::Uuid),
            ("policy_id", K::Text),
            ("policy_version", K::Text),
            ("policy_hash", K::Text),
            ("advised_outcome", K::Text),
            ("outcome", K::Text),
            ("evaluation_json", K::Text),
            ("decided_by", K::Uuid),
            ("decided_at", K::Instant),
            ("follows_advice", K::Bool),
            ("override_code", K::Text),
            ("override_reason", K::Text),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "case_reference_counters",
        columns: &[
            ("prefix", K::Text),
            ("year", K::Int),
            ("last_value", K::Int),
        ],
        order_by: "prefix, year",
    },
    TableSpec {
        name: "cases",
        columns: &[
            ("id", K::Uuid),
            ("reference", K::Text),
            ("person_id", K::Uuid),
            ("referral_id", K::Uuid),
            ("scheme_id", K::Text),
            ("state", K::Text),
            ("version", K::Int),
            ("navigator_id", K::Uuid),
            ("team", K::Text),
            ("opened_at", K::Instant),
            ("updated_at", K::Instant),
            ("offence_date", K::Date),
            ("prosecution_deadline", K::Date),
            ("contract_end", K::Date),
            ("follow_up_until", K::Date),
            ("retention_review_on", K::Date),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "case_events",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("sequence", K::Int),
            ("actor_id", K::Uuid),
            ("occurred_at", K::Instant),
            ("kind", K::Text),
            ("from_state", K::Text),
            ("to_state", K::Text),
            ("reason", K::Text),
            ("policy_version", K::Text),
            ("payload_json", K::Text),
            ("redacted_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "contracts",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("version", K::Int),
            ("start_date", K::Date),
            ("end_date", K::Date),
            ("signed_on", K::Date),
            ("variation_reason", K::Text),
            ("created_by", K::Uuid),
            ("created_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "contract_conditions",
        columns: &[
            ("id", K::Uuid),
            ("contract_id", K::Uuid),
            ("position", K::Int),
            ("condition_type", K::Text),
            ("description", K::Text),
            ("pathway", K::Text),
            ("hours", K::Int),
            ("due_date", K::Date),
            ("status", K::Text),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "appointments",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("planned_at", K::Instant),
            ("purpose", K::Text),
            ("location", K::Text),
            ("attendance", K::Text),
            ("missed_reason", K::Text),
            ("notes", K::Text),
            ("recorded_by", K::Uuid),
            ("recorded_at", K::Instant),
            ("created_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "provider_referrals",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("provider", K::Text),
            ("pathway", K::Text),
            ("referred_by", K::Uuid),
            ("referred_at", K::Instant),
            ("status", K::Text),
            ("responded_at", K::Instant),
            ("response_notes", K::Text),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "needs_assessments",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("assessed_by", K::Uuid),
            ("assessed_at", K::Instant),
            ("notes", K::Text),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "needs_assessment_items",
        columns: &[
            ("assessment_id", K::Uuid),
            ("pathway", K::Text),
            ("severity", K::Text),
            ("notes", K::Text),
        ],
        order_by: "assessment_id, pathway",
    },
    TableSpec {
        name: "trial_allocations",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("trial_id", K::Text),
            ("stratum", K::Text),
            ("block_number", K::Int),
            ("position_in_block", K::Int),
            ("arm", K::Text),
            ("seed", K::Text),
            ("allocated_by", K::Uuid),
            ("allocated_at", K::Instant),
        ],
        order_by: "id",
    },
    // 0002_custody
    TableSpec {
        name: "screening_advice",
        columns: &[
            ("id", K::Uuid),
            ("case_id", K::Uuid),
            ("referral_id", K::Uuid),
            ("policy_id", K::Text),
            ("policy_version", K::Text),
            ("policy_hash", K::Text),
            ("advised_outcome", K::Text),
            ("evaluation_json", K::Text),
            ("created_by", K::Uuid),
            ("created_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "override_countersignatures",
        columns: &[
            ("decision_id", K::Uuid),
            ("countersigned_by", K::Uuid),
            ("agreed", K::Bool),
            ("note", K::Text),
            ("countersigned_at", K::Instant),
        ],
        order_by: "decision_id",
    },
    TableSpec {
        name: "trials",
        columns: &[
            ("trial_id", K::Text),
            ("scheme_id", K::Text),
            ("seed", K::Text),
            ("settings_json", K::Text),
            ("allocations", K::Int),
            ("set_up_by", K::Uuid),
            ("set_up_at", K::Instant),
        ],
        order_by: "trial_id",
    },
    TableSpec {
        name: "linkage_models",
        columns: &[
            ("version", K::Int),
            ("method", K::Text),
            ("model_json", K::Text),
            ("people", K::Int),
            ("arrests", K::Int),
            ("labels", K::Int),
            ("created_by", K::Text),
            ("created_at", K::Instant),
        ],
        order_by: "version",
    },
    TableSpec {
        name: "arrests",
        columns: &[
            ("id", K::Uuid),
            ("source", K::Text),
            ("arrest_ref", K::Text),
            ("given_name", K::Text),
            ("surname", K::Text),
            ("dob", K::Text),
            ("postcode", K::Text),
            ("pnc_id", K::Text),
            ("arrest_date", K::Date),
            ("offence", K::Text),
            ("band", K::Text),
            ("best_person_id", K::Uuid),
            ("best_probability", K::Real),
            ("model_version", K::Int),
            ("imported_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "arrest_links",
        columns: &[
            ("arrest_id", K::Uuid),
            ("person_id", K::Uuid),
            ("match_probability", K::Real),
            ("match_weight", K::Real),
            ("explanation_json", K::Text),
            ("via", K::Text),
            ("decided_by", K::Uuid),
            ("model_version", K::Int),
            ("linked_at", K::Instant),
        ],
        order_by: "arrest_id",
    },
    TableSpec {
        name: "clerical_reviews",
        columns: &[
            ("arrest_id", K::Uuid),
            ("person_id", K::Uuid),
            ("match_probability", K::Real),
            ("match_weight", K::Real),
            ("explanation_json", K::Text),
            ("status", K::Text),
            ("model_version", K::Int),
            ("queued_at", K::Instant),
            ("decided_by", K::Uuid),
            ("decided_at", K::Instant),
            ("reason", K::Text),
        ],
        order_by: "arrest_id",
    },
    TableSpec {
        name: "reoffending_events",
        columns: &[
            ("id", K::Uuid),
            ("arrest_id", K::Uuid),
            ("case_id", K::Uuid),
            ("person_id", K::Uuid),
            ("phase", K::Text),
            ("arrest_date", K::Date),
            ("offence", K::Text),
            ("recorded_at", K::Instant),
        ],
        order_by: "id",
    },
    TableSpec {
        name: "audit_log",
        columns: &[
            ("sequence", K::Int),
            ("id", K::Uuid),
            ("occurred_at", K::Instant),
            ("actor_id", K::Uuid),
            ("actor", K::Text),
            ("action", K::Text),
            ("subject_type", K::Text),
            ("subject_id", K::Text),
            ("justification", K::Text),
            ("details_json", K::Text),
            ("prev_hash", K::Text),
            ("hash", K::Text),
        ],
        order_by: "sequence",
    },
];

/// What a backup or restore moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Rows per table, in [`TABLES`] order.
    pub rows: Vec<(&'static str, i64)>,
}

impl Summary {
    pub fn total_rows(&self) -> i64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// A typed cell value, the common ground between both backends and the JSON form.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Uuid(Option<Uuid>),
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Instant(Option<Instant>),
    Date(Option<CivilDate>),
}

impl Cell {
    fn read<'r, R>(row: &'r R, index: usize, kind: ColumnKind) -> Result<Cell, sqlx::Error>
    where
        R: Row,
        usize: sqlx::ColumnIndex<R>,
        Option<Uuid>: Decode<'r, R::Database> + Type<R::Database>,
        Option<String>: Decode<'r, R::Database> + Type<R::Database>,
        Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
        Option<f64>: Decode<'r, R::Database> + Type<R::Database>,
        Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
        Option<Instant>: Decode<'r, R::Database> + Type<R::Database>,
        Option<CivilDate>: Decode<'r, R::Database> + Type<R::Database>,
    {
        Ok(match kind {
            K::Uuid => Cell::Uuid(row.try_get(index)?),
            K::Text => Cell::Text(row.try_get(index)?),
            K::Int => Cell::Int(row.try_get(index)?),
            K::Real => Cell::Real(row.try_get(index)?),
            K::Bool => Cell::Bool(row.try_get(index)?),
            K::Instant => Cell::Instant(row.try_get(index)?),
            K::Date => Cell::Date(row.try_get(index)?),
        })
    }

    fn to_json(&self) -> Json {
        match self {
            Cell::Uuid(v) => json!(v.map(|u| u.to_string())),
            Cell::Text(v) => json!(v),
            Cell::Int(v) => json!(v),
            Cell::Real(v) => json!(v),
            Cell::Bool(v) => json!(v),
            Cell::Instant(v) => json!(v.map(Instant::to_canonical_string)),
            Cell::Date(v) => json!(v.map(|d| d.to_string())),
        }
    }

    fn from_json(value: &Json, kind: ColumnKind) -> Result<Cell, String> {
        let text = || match value {
            Json::Null => Ok(None),
            Json::String(s) => Ok(Some(s.as_str())),
            other => Err(format!("expected text, found {other}")),
        };
        Ok(match kind {
            K::Text => Cell::Text(text()?.map(str::to_owned)),
            K::Uuid => Cell::Uuid(
                text()?
                    .map(Uuid::parse_str)
                    .transpose()
                    .map_err(|e| e.to_string())?,
            ),
            K::Instant => Cell::Instant(
                text()?
                    .map(Instant::parse)
                    .transpose()
                    .map_err(|e| e.to_string())?,
            ),
            K::Date => Cell::Date(
                text()?
                    .map(|s| s.parse::<jiff::civil::Date>().map(CivilDate))
                    .transpose()
                    .map_err(|e| e.to_string())?,
            ),
            K::Int => Cell::Int(match value {
                Json::Null => None,
                other => Some(
                    other
                        .as_i64()
                        .ok_or(format!("expected an integer, found {other}"))?,
                ),
            }),
            K::Real => Cell::Real(match value {
                Json::Null => None,
                other => Some(
                    other
                        .as_f64()
                        .ok_or(format!("expected a number, found {other}"))?,
                ),
            }),
            K::Bool => Cell::Bool(match value {
                Json::Null => None,
                other => Some(
                    other
                        .as_bool()
                        .ok_or(format!("expected a boolean, found {other}"))?,
                ),
            }),
        })
    }
}

fn select_sql(table: &TableSpec) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        columns.join(", "),
        table.name,
        table.order_by
    )
}

/// Rows per `INSERT` in a restore: one statement per row made a national restore into
/// PostgreSQL take most of an hour, a round trip each. Capped so that the widest table stays
/// well inside both backends' limit on parameters (32,766 on SQLite, 65,535 on PostgreSQL).
const RESTORE_ROWS_PER_INSERT: usize = 500;
const RESTORE_PARAMETERS_PER_INSERT: usize = 30_000;

/// Rows of one table read from a dump and not yet written, with the dump lines they came
/// from (for the error if the database refuses them).
struct PendingRows {
    table: &'static TableSpec,
    cells: Vec<Cell>,
    rows: usize,
    first_line: usize,
    last_line: usize,
    /// The `INSERT` of a full batch, made once: a national restore writes fifty thousand
    /// batches, nearly all of them full, and each text is tens of kilobytes.
    full_batch_sql: Option<String>,
}

impl PendingRows {
    fn new(table: &'static TableSpec) -> Self {
        PendingRows {
            table,
            cells: Vec::new(),
            rows: 0,
            first_line: 0,
            last_line: 0,
            full_batch_sql: None,
        }
    }

    fn capacity(&self) -> usize {
        (RESTORE_PARAMETERS_PER_INSERT / self.table.columns.len()).clamp(1, RESTORE_ROWS_PER_INSERT)
    }

    fn push(&mut self, line: usize, row: Vec<Cell>) {
        if self.rows == 0 {
            self.first_line = line;
        }
        self.last_line = line;
        self.cells.extend(row);
        self.rows += 1;
    }

    fn is_full(&self) -> bool {
        self.rows >= self.capacity()
    }

    /// Writes the pending rows in one statement.
    async fn write(&mut self, tx: &mut Tx) -> Result<(), StoreError> {
        if self.rows == 0 {
            return Ok(());
        }
        let table = self.table;
        let sql_for = |rows: usize| {
            let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            format!(
                "INSERT INTO {} ({}) VALUES {}",
                table.name,
                columns.join(", "),
                placeholders(tx.backend(), 1, rows, columns.len())
            )
        };
        let partial;
        let sql = if self.is_full() {
            let capacity = self.capacity();
            self.full_batch_sql.get_or_insert_with(|| sql_for(capacity))
        } else {
            partial = sql_for(self.rows);
            &partial
        };
        let cells = std::mem::take(&mut self.cells);
        let rows = std::mem::take(&mut self.rows);
        insert_rows(tx, sql, cells).await.map_err(|e| {
            StoreError::BadBackup(format!(
                "lines {}-{} ({}, {rows} rows): the database refused them: {e}",
                self.first_line, self.last_line, self.table.name
            ))
        })
    }
}

/// Writes a portable dump of the whole database to `path`, from one consistent snapshot.
pub async fn backup(db: &Db, path: &Path) -> Result<Summary, StoreError> {
    let mut out = BufWriter::new(File::create(path)?);
    let header = json!({
        "format": DUMP_FORMAT,
        "format_version": DUMP_FORMAT_VERSION,
        "schema_version": db.schema_version(),
        "source_backend": db.backend().as_str(),
        "created_at": Instant::now().to_canonical_string(),
    });
    writeln!(out, "{header}")?;
    let mut tx = db.begin_read().await?;
    let mut rows = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let count = dump_table(&mut tx, table, &mut out).await?;
        rows.push((table.name, count));
    }
    tx.rollback().await?;
    let counts: BTreeMap<&str, i64> = rows.iter().copied().collect();
    writeln!(out, "{}", json!({ "end": true, "rows": counts }))?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(Summary { rows })
}

async fn dump_table(
    tx: &mut Tx,
    table: &TableSpec,
    out: &mut impl Write,
) -> Result<i64, StoreError> {
    let sql = select_sql(table);
    let mut count = 0;
    on_tx!(tx, |conn| {
        let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(conn);
        while let Some(row) = stream.try_next().await? {
            let mut values = Vec::with_capacity(table.columns.len());
            for (index, (_, kind)) in table.columns.iter().enumerate() {
                values.push(Cell::read(&row, index, *kind)?.to_json());
            }
            writeln!(out, "{}", json!({ "t": table.name, "r": values }))?;
            count += 1;
        }
    });
    Ok(count)
}

/// Writes a consistent copy of a SQLite database to `path` with `VACUUM INTO` (the file is
/// itself a usable SQLite database). PostgreSQL has no equivalent here: use [`backup`].
pub async fn snapshot_sqlite(db: &Db, path: &Path) -> Result<(), StoreError> {
    let Db::Sqlite(pool) = db else {
        return Err(StoreError::Unsupported(
            "a SQLite snapshot needs a SQLite database; use the portable dump".into(),
        ));
    };
    if path.exists() {
        return Err(StoreError::Unsupported(format!(
            "{} already exists",
            path.display()
        )));
    }
    let target = path
        .to_str()
        .ok_or_else(|| StoreError::Unsupported("backup path is not UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}

/// Row counts of every dumped table.
pub async fn row_counts(db: &Db) -> Result<Vec<(&'static str, i64)>, StoreError> {
    let mut tx = db.begin_read().await?;
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        counts.push((table.name, count_rows(&mut tx, table.name).await?));
    }
    tx.rollback().await?;
    Ok(counts)
}

async fn count_rows(tx: &mut Tx, table: &str) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(conn)
            .await?
    }))
}

/// Loads a portable dump into `db`, which must be migrated and empty. All or nothing: one
/// transaction. Works across backends (a SQLite dump into PostgreSQL and back).
pub async fn restore(db: &Db, path: &Path) -> Result<Summary, StoreError> {
    let mut reader = BufReader::new(File::open(path)?);
    let bad = |line: usize, why: String| StoreError::BadBackup(format!("line {line}: {why}"));

    if reader.fill_buf()?.starts_with(b"SQLite format 3\0") {
        return Err(StoreError::BadBackup(
            "this is a SQLite snapshot, not a portable dump: stop the service and put the file \
             in place of the database file (or point the database URL at it)"
                .into(),
        ));
    }
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let header: Json = serde_json::from_str(&first).map_err(|e| bad(1, e.to_string()))?;
    if header["format"] != DUMP_FORMAT {
        return Err(bad(1, "not a Checkpoint dump".into()));
    }
    if header["format_version"] != DUMP_FORMAT_VERSION {
        return Err(bad(
            1,
            format!(
                "unsupported dump format version {}",
                header["format_version"]
            ),
        ));
    }
    let schema_version = header["schema_version"].as_i64().unwrap_or(-1);
    if schema_version != db.schema_version() {
        return Err(bad(
            1,
            format!(
                "dump has schema version {schema_version}, this database {}; restore with the \
                 matching Checkpoint release",
                db.schema_version()
            ),
        ));
    }

    let mut tx = db.begin().await?;
    ensure_empty(&mut tx).await?;

    let mut counts: BTreeMap<&'static str, i64> = TABLES.iter().map(|t| (t.name, 0)).collect();
    let mut table_index = 0;
    let mut ended = false;
    let mut pending = PendingRows::new(&TABLES[0]);
    for (number, line) in reader.lines().enumerate() {
        let number = number + 2;
        let line = line?;
        if ended {
            return Err(bad(number, "data after the end marker".into()));
        }
        let value: Json = serde_json::from_str(&line).map_err(|e| bad(number, e.to_string()))?;
        if value["end"] == true {
            pending.write(&mut tx).await?;
            let expected = &value["rows"];
            for (table, count) in &counts {
                if expected[*table].as_i64() != Some(*count) {
                    return Err(bad(number, format!("row count for {table} does not match")));
                }
            }
            ended = true;
            continue;
        }
        let name = value["t"]
            .as_str()
            .ok_or_else(|| bad(number, "no table name".into()))?;
        // Tables arrive in TABLES order; move forward to this one.
        while TABLES[table_index].name != name {
            table_index += 1;
            if table_index == TABLES.len() {
                return Err(bad(number, format!("unknown or out-of-order table {name}")));
            }
        }
        if pending.table.name != name {
            pending.write(&mut tx).await?;
            pending = PendingRows::new(&TABLES[table_index]);
        }
        let table = &TABLES[table_index];
        let raw = value["r"]
            .as_array()
            .ok_or_else(|| bad(number, "no row".into()))?;
        if raw.len() != table.columns.len() {
            return Err(bad(number, format!("{name} row has {} values", raw.len())));
        }
        let mut cells = Vec::with_capacity(raw.len());
        for (json_value, (column, kind)) in raw.iter().zip(table.columns) {
            cells.push(
                Cell::from_json(json_value, *kind)
                    .map_err(|e| bad(number, format!("{column}: {e}")))?,
            );
        }
        pending.push(number, cells);
        if pending.is_full() {
            pending.write(&mut tx).await?;
        }
        *counts.get_mut(name).expect("known table") += 1;
    }
    if !ended {
        return Err(StoreError::BadBackup(
            "the dump is truncated (no end marker)".into(),
        ));
    }
    crate::audit::reset_head(&mut tx).await?;
    tx.commit().await?;
    Ok(Summary {
        rows: TABLES.iter().map(|t| (t.name, counts[t.name])).collect(),
    })
}

async fn insert_rows(tx: &mut Tx, sql: &str, cells: Vec<Cell>) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for cell in cells {
            query = match cell {
                Cell::Uuid(v) => query.bind(v),
                Cell::Text(v) => query.bind(v),
                Cell::Int(v) => query.bind(v),
                Cell::Real(v) => query.bind(v),
                Cell::Bool(v) => query.bind(v),
                Cell::Instant(v) => query.bind(v),
                Cell::Date(v) => query.bind(v),
            };
        }
        query.execute(conn).await?.rows_affected()
    });
    Ok(())
}

async fn ensure_empty(tx: &mut Tx) -> Result<(), StoreError> {
    for table in TABLES {
        let rows = count_rows(tx, table.name).await?;
        if rows > 0 {
            return Err(StoreError::RestoreTargetNotEmpty {
                table: table.name,
                rows,
            });
        }
    }
    Ok(())
}

/// The columns the live schema has for a table (to check [`TABLES`] against it).
pub async fn schema_columns(db: &Db, table: &str) -> Result<Vec<String>, StoreError> {
    let mut tx = db.begin_read().await?;
    let columns = match tx.backend() {
        Backend::Sqlite => on_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(conn)
                .await?
        }),
        Backend::Postgres => on_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(conn)
            .await?
        }),
    };
    tx.rollback().await?;
    Ok(columns)
}

/// Every table in the live schema except sqlx's bookkeeping, `audit_head`, and
/// [`NOT_DUMPED`].
pub async fn schema_tables(db: &Db) -> Result<Vec<String>, StoreError> {
    let mut tx = db.begin_read().await?;
    let tables: Vec<String> = match tx.backend() {
        Backend::Sqlite => on_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(conn)
            .await?
        }),
        Backend::Postgres => on_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
                 WHERE table_schema = current_schema() ORDER BY table_name",
            )
            .fetch_all(conn)
            .await?
        }),
    };
    tx.rollback().await?;
    Ok(tables
        .into_iter()
        .filter(|t| t != "_sqlx_migrations" && t != "audit_head")
        .filter(|t| !NOT_DUMPED.contains(&t.as_str()))
        .collect())
}
