//! Bulk loading: rows of many tables written inside one transaction with large multi-row
//! INSERTs (SQLite) or COPY (PostgreSQL), for synthetic data at scale (`checkpoint demo generate --bulk`, a million
//! cases in minutes). Nothing that serves users writes through here.
//!
//! The caller builds the rows the use cases would have written (the same row types the other
//! modules read back: [`PersonRow`], [`CaseRow`], [`CaseEventRow`], …) and adds them to a
//! [`Batch`]; [`write`] inserts them in foreign-key order (people, referrals, cases, events,
//! advice, decisions, contracts, conditions, needs, appointments, allocations). The caller
//! keeps the invariants the use cases keep — a case's `version` equals its number of events,
//! references are unique, every decision names its policy id, version and hash — and writes
//! the audit row of the batch ([`crate::audit::append`]) in the same transaction.
//!
//! How the rows travel: binding costs more than the insert itself at this scale (sqlx looks
//! SQLite parameters up by name, quadratic in their count, which is why
//! [`crate::audit::append_all`] and [`crate::arrests`] stop at 40 rows a statement). So values are
//! rendered as text by the encoders below, once, as the rows are added:
//! - SQLite: multi-row `INSERT … VALUES (…), (…)` statements of up to [`ROWS_PER_STATEMENT`]
//!   rows, with SQL literals — text quoted with `'` doubled, UUIDs as `X'…'` blobs (the
//!   16 bytes sqlx binds), booleans 1/0, instants in their fixed-width text form;
//! - PostgreSQL: `COPY … FROM STDIN` in text format — tab-separated, `\N` for NULL, backslash,
//!   tab, newline and carriage return escaped — which skips parsing and planning entirely.
//!
//! This is the one place where what reaches the database differs by backend, and only in how
//! a value is spelt; both are read back by the same queries as rows the use cases wrote.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use uuid::Uuid;

use crate::appointments::AppointmentRow;
use crate::cases::{CaseEventRow, CaseRow};
use crate::contracts::{ConditionRow, ContractRow};
use crate::db::{Backend, Tx, TxConn, on_tx};
use crate::decisions::DecisionRow;
use crate::error::StoreError;
use crate::needs::{AssessmentItemRow, AssessmentRow};
use crate::people::PersonRow;
use crate::referrals::ReferralRow;
use crate::screening::AdviceRow;
use crate::time::{CivilDate, Instant};
use crate::trials::AllocationRow;

/// Most rows in one INSERT statement.
pub const ROWS_PER_STATEMENT: usize = 500;

/// A statement is closed early once its text passes this many bytes.
const BYTES_PER_STATEMENT: usize = 2 << 20;

/// The tables a batch fills, in the order they are written (parents before children).
const TABLES: [(&str, &str); 12] = [
    (
        "people",
        "id, given_name, family_name, date_of_birth, sex, ethnicity_self_defined, \
         ethnicity_officer_observed, postcode, pnc_id, resides_in_force_area, created_at",
    ),
    (
        "referrals",
        "id, person_id, scheme_id, policy_id, input_json, referred_by, received_at",
    ),
    (
        "cases",
        "id, reference, person_id, referral_id, scheme_id, state, version, navigator_id, team, \
         opened_at, updated_at, offence_date, prosecution_deadline, contract_end, \
         follow_up_until, retention_review_on",
    ),
    (
        "case_events",
        "id, case_id, sequence, actor_id, occurred_at, kind, from_state, to_state, reason, \
         policy_version, payload_json",
    ),
    (
        "screening_advice",
        "id, case_id, referral_id, policy_id, policy_version, policy_hash, advised_outcome, \
         evaluation_json, created_by, created_at",
    ),
    (
        "decisions",
        "id, referral_id, policy_id, policy_version, policy_hash, advised_outcome, outcome, \
         evaluation_json, decided_by, decided_at, follows_advice, override_code, override_reason",
    ),
    (
        "contracts",
        "id, case_id, version, start_date, end_date, signed_on, variation_reason, created_by, \
         created_at",
    ),
    (
        "contract_conditions",
        "id, contract_id, position, condition_type, description, pathway, hours, due_date, status",
    ),
    (
        "needs_assessments",
        "id, case_id, assessed_by, assessed_at, notes",
    ),
    (
        "needs_assessment_items",
        "assessment_id, pathway, severity, notes",
    ),
    (
        "appointments",
        "id, case_id, planned_at, purpose, location, attendance, missed_reason, notes, \
         recorded_by, recorded_at, created_at",
    ),
    (
        "trial_allocations",
        "id, case_id, trial_id, stratum, block_number, position_in_block, arm, seed, \
         allocated_by, allocated_at",
    ),
];

const PEOPLE: usize = 0;
const REFERRALS: usize = 1;
const CASES: usize = 2;
const EVENTS: usize = 3;
const ADVICE: usize = 4;
const DECISIONS: usize = 5;
const CONTRACTS: usize = 6;
const CONDITIONS: usize = 7;
const ASSESSMENTS: usize = 8;
const ASSESSMENT_ITEMS: usize = 9;
const APPOINTMENTS: usize = 10;
const ALLOCATIONS: usize = 11;

/// One table's statements: finished INSERT texts and the one being filled.
#[derive(Debug, Default)]
struct TableSql {
    done: Vec<String>,
    open: String,
    open_rows: usize,
    rows: u64,
}

/// Rows for many tables, rendered as INSERT statements as they are added. Build one per
/// transaction, then [`write`] it.
#[derive(Debug)]
pub struct Batch {
    backend: Backend,
    tables: Vec<TableSql>,
}

/// How many rows a batch wrote, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<&'static str, u64>);

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        for (table, n) in &other.0 {
            *self.0.entry(table).or_default() += n;
        }
    }

    pub fn get(&self, table: &str) -> u64 {
        self.0.get(table).copied().unwrap_or(0)
    }

    /// Every row, all tables together.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Renders one row's values as literals for the batch's backend.
struct Row<'a> {
    sql: &'a mut String,
    backend: Backend,
    first: bool,
}

impl Row<'_> {
    fn sep(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.sql.push_str(match self.backend {
                Backend::Sqlite => ", ",
                Backend::Postgres => "\t",
            });
        }
    }

    /// A value that needs no quoting or escaping on either backend (digits, dates, instants),
    /// quoted on SQLite when `quoted`.
    fn plain(&mut self, text: std::fmt::Arguments<'_>, quoted: bool) -> &mut Self {
        self.sep();
        let quote = quoted && self.backend == Backend::Sqlite;
        if quote {
            self.sql.push('\'');
        }
        let _ = self.sql.write_fmt(text);
        if quote {
            self.sql.push('\'');
        }
        self
    }

    fn null(&mut self) -> &mut Self {
        self.sep();
        self.sql.push_str(match self.backend {
            Backend::Sqlite => "NULL",
            Backend::Postgres => "\\N",
        });
        self
    }

    fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.sep();
        match self.backend {
            Backend::Sqlite => {
                let _ = write!(self.sql, "X'{}'", id.simple());
            }
            Backend::Postgres => {
                let _ = write!(self.sql, "{}", id.hyphenated());
            }
        }
        self
    }

    fn opt_uuid(&mut self, id: Option<Uuid>) -> &mut Self {
        match id {
            Some(id) => self.uuid(id),
            None => self.null(),
        }
    }

    fn text(&mut self, text: &str) -> &mut Self {
        self.sep();
        self.sql.reserve(text.len() + 2);
        match self.backend {
            Backend::Sqlite => {
                self.sql.push('\'');
                let mut parts = text.split('\'');
                if let Some(first) = parts.next() {
                    self.sql.push_str(first);
                }
                for part in parts {
                    self.sql.push_str("''");
                    self.sql.push_str(part);
                }
                self.sql.push('\'');
            }
            Backend::Postgres => {
                // COPY text format: backslash, tab, newline and carriage return are escaped.
                let mut rest = text;
                while let Some(at) = rest.find(['\\', '\t', '\n', '\r']) {
                    self.sql.push_str(&rest[..at]);
                    self.sql.push_str(match rest.as_bytes()[at] {
                        b'\\' => "\\\\",
                        b'\t' => "\\t",
                        b'\n' => "\\n",
                        _ => "\\r",
                    });
                    rest = &rest[at + 1..];
                }
                self.sql.push_str(rest);
            }
        }
        self
    }

    fn opt_text(&mut self, text: Option<&str>) -> &mut Self {
        match text {
            Some(text) => self.text(text),
            None => self.null(),
        }
    }

    fn int(&mut self, n: i64) -> &mut Self {
        self.plain(format_args!("{n}"), false)
    }

    fn opt_int(&mut self, n: Option<i64>) -> &mut Self {
        match n {
            Some(n) => self.int(n),
            None => self.null(),
        }
    }

    fn bool(&mut self, b: bool) -> &mut Self {
        self.sep();
        self.sql.push_str(match (self.backend, b) {
            (Backend::Sqlite, true) => "1",
            (Backend::Sqlite, false) => "0",
            (Backend::Postgres, true) => "t",
            (Backend::Postgres, false) => "f",
        });
        self
    }

    fn opt_bool(&mut self, b: Option<bool>) -> &mut Self {
        match b {
            Some(b) => self.bool(b),
            None => self.null(),
        }
    }

    fn instant(&mut self, at: Instant) -> &mut Self {
        self.plain(format_args!("{}", at.to_canonical_string()), true)
    }

    fn opt_instant(&mut self, at: Option<Instant>) -> &mut Self {
        match at {
            Some(at) => self.instant(at),
            None => self.null(),
        }
    }

    fn date(&mut self, date: CivilDate) -> &mut Self {
        self.plain(format_args!("{date}"), true)
    }

    fn opt_date(&mut self, date: Option<CivilDate>) -> &mut Self {
        match date {
            Some(date) => self.date(date),
            None => self.null(),
        }
    }
}

impl Batch {
    pub fn new(backend: Backend) -> Batch {
        Batch {
            backend,
            tables: TABLES.iter().map(|_| TableSql::default()).collect(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Rows added so far, all tables together.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Starts a row of `table`, returning the text to render its values into.
    fn row(&mut self, table: usize) -> Row<'_> {
        let t = &mut self.tables[table];
        let rows_per_chunk = match self.backend {
            Backend::Sqlite => ROWS_PER_STATEMENT,
            Backend::Postgres => usize::MAX,
        };
        if t.open_rows >= rows_per_chunk || t.open.len() >= BYTES_PER_STATEMENT {
            t.done.push(std::mem::take(&mut t.open));
            t.open_rows = 0;
        }
        if t.open_rows == 0 {
            t.open.reserve(64 * 1024);
        }
        match self.backend {
            Backend::Sqlite if t.open_rows == 0 => {
                let (name, columns) = TABLES[table];
                let _ = write!(t.open, "INSERT INTO {name} ({columns}) VALUES (");
            }
            Backend::Sqlite => t.open.push_str(", ("),
            Backend::Postgres => {}
        }
        t.open_rows += 1;
        t.rows += 1;
        Row {
            sql: &mut t.open,
            backend: self.backend,
            first: true,
        }
    }

    fn end_row(&mut self, table: usize) {
        self.tables[table].open.push(match self.backend {
            Backend::Sqlite => ')',
            Backend::Postgres => '\n',
        });
    }

    pub fn person(&mut self, p: &PersonRow) {
        self.row(PEOPLE)
            .uuid(p.id)
            .text(&p.given_name)
            .text(&p.family_name)
            .date(p.date_of_birth)
            .text(&p.sex)
            .opt_text(p.ethnicity_self_defined.as_deref())
            .opt_text(p.ethnicity_officer_observed.as_deref())
            .opt_text(p.postcode.as_deref())
            .opt_text(p.pnc_id.as_deref())
            .opt_bool(p.resides_in_force_area)
            .instant(p.created_at);
        self.end_row(PEOPLE);
    }

    pub fn referral(&mut self, r: &ReferralRow) {
        self.row(REFERRALS)
            .uuid(r.id)
            .uuid(r.person_id)
            .text(&r.scheme_id)
            .text(&r.policy_id)
            .text(&r.input_json)
            .opt_uuid(r.referred_by)
            .instant(r.received_at);
        self.end_row(REFERRALS);
    }

    pub fn case(&mut self, c: &CaseRow) {
        self.row(CASES)
            .uuid(c.id)
            .text(&c.reference)
            .uuid(c.person_id)
            .opt_uuid(c.referral_id)
            .text(&c.scheme_id)
            .text(&c.state)
            .int(c.version)
            .opt_uuid(c.navigator_id)
            .opt_text(c.team.as_deref())
            .instant(c.opened_at)
            .instant(c.updated_at)
            .opt_date(c.offence_date)
            .opt_date(c.prosecution_deadline)
            .opt_date(c.contract_end)
            .opt_date(c.follow_up_until)
            .opt_date(c.retention_review_on);
        self.end_row(CASES);
    }

    pub fn event(&mut self, e: &CaseEventRow) {
        self.row(EVENTS)
            .uuid(e.id)
            .uuid(e.case_id)
            .int(e.sequence)
            .opt_uuid(e.actor_id)
            .instant(e.occurred_at)
            .text(&e.kind)
            .opt_text(e.from_state.as_deref())
            .opt_text(e.to_state.as_deref())
            .opt_text(e.reason.as_deref())
            .opt_text(e.policy_version.as_deref())
            .text(&e.payload_json);
        self.end_row(EVENTS);
    }

    pub fn advice(&mut self, a: &AdviceRow) {
        self.row(ADVICE)
            .uuid(a.id)
            .uuid(a.case_id)
            .uuid(a.referral_id)
            .text(&a.policy_id)
            .text(&a.policy_version)
            .text(&a.policy_hash)
            .text(&a.advised_outcome)
            .text(&a.evaluation_json)
            .opt_uuid(a.created_by)
            .instant(a.created_at);
        self.end_row(ADVICE);
    }

    pub fn decision(&mut self, d: &DecisionRow) {
        self.row(DECISIONS)
            .uuid(d.id)
            .uuid(d.referral_id)
            .text(&d.policy_id)
            .text(&d.policy_version)
            .text(&d.policy_hash)
            .text(&d.advised_outcome)
            .text(&d.outcome)
            .text(&d.evaluation_json)
            .uuid(d.decided_by)
            .instant(d.decided_at)
            .bool(d.follows_advice)
            .opt_text(d.override_code.as_deref())
            .opt_text(d.override_reason.as_deref());
        self.end_row(DECISIONS);
    }

    pub fn contract(&mut self, k: &ContractRow) {
        self.row(CONTRACTS)
            .uuid(k.id)
            .uuid(k.case_id)
            .int(k.version)
            .date(k.start_date)
            .date(k.end_date)
            .opt_date(k.signed_on)
            .opt_text(k.variation_reason.as_deref())
            .opt_uuid(k.created_by)
            .instant(k.created_at);
        self.end_row(CONTRACTS);
    }

    pub fn condition(&mut self, c: &ConditionRow) {
        self.row(CONDITIONS)
            .uuid(c.id)
            .uuid(c.contract_id)
            .int(c.position)
            .text(&c.condition_type)
            .text(&c.description)
            .opt_text(c.pathway.as_deref())
            .opt_int(c.hours)
            .opt_date(c.due_date)
            .text(&c.status);
        self.end_row(CONDITIONS);
    }

    pub fn assessment(&mut self, a: &AssessmentRow) {
        self.row(ASSESSMENTS)
            .uuid(a.id)
            .uuid(a.case_id)
            .opt_uuid(a.assessed_by)
            .instant(a.assessed_at)
            .opt_text(a.notes.as_deref());
        self.end_row(ASSESSMENTS);
    }

    pub fn assessment_item(&mut self, i: &AssessmentItemRow) {
        self.row(ASSESSMENT_ITEMS)
            .uuid(i.assessment_id)
            .text(&i.pathway)
            .text(&i.severity)
            .opt_text(i.notes.as_deref());
        self.end_row(ASSESSMENT_ITEMS);
    }

    pub fn appointment(&mut self, a: &AppointmentRow) {
        self.row(APPOINTMENTS)
            .uuid(a.id)
            .uuid(a.case_id)
            .instant(a.planned_at)
            .text(&a.purpose)
            .opt_text(a.location.as_deref())
            .opt_text(a.attendance.as_deref())
            .opt_text(a.missed_reason.as_deref())
            .opt_text(a.notes.as_deref())
            .opt_uuid(a.recorded_by)
            .opt_instant(a.recorded_at)
            .instant(a.created_at);
        self.end_row(APPOINTMENTS);
    }

    pub fn allocation(&mut self, a: &AllocationRow) {
        self.row(ALLOCATIONS)
            .uuid(a.id)
            .uuid(a.case_id)
            .text(&a.trial_id)
            .text(&a.stratum)
            .int(a.block_number)
            .int(a.position_in_block)
            .text(&a.arm)
            .text(&a.seed)
            .opt_uuid(a.allocated_by)
            .instant(a.allocated_at);
        self.end_row(ALLOCATIONS);
    }

    /// Each table's chunks (INSERT statements on SQLite, COPY data on PostgreSQL), in write
    /// order, with the counts per table.
    fn into_chunks(self) -> (Vec<(usize, Vec<String>)>, Counts) {
        let mut chunks = Vec::new();
        let mut counts = Counts::default();
        for (i, mut t) in self.tables.into_iter().enumerate() {
            if t.open_rows > 0 {
                t.done.push(std::mem::take(&mut t.open));
            }
            if t.rows > 0 {
                counts.0.insert(TABLES[i].0, t.rows);
                chunks.push((i, t.done));
            }
        }
        (chunks, counts)
    }
}

/// Inserts every row of `batch` inside `tx`. On SQLite the connection's page cache is raised
/// first (a bulk load touches many index pages) and its WAL checkpoints come every 64 MiB
/// instead of every 4 MiB (fewer syncs while the load runs); on PostgreSQL the transaction
/// compresses large values with lz4 when the server supports it. Nothing else changes.
pub async fn write(tx: &mut Tx, batch: Batch) -> Result<Counts, StoreError> {
    if batch.backend != tx.backend() {
        return Err(StoreError::InvalidStoredValue(format!(
            "a batch rendered for {} cannot be written to {}",
            batch.backend.as_str(),
            tx.backend().as_str()
        )));
    }
    match &mut tx.conn {
        TxConn::Sqlite(conn) => {
            sqlx::raw_sql("PRAGMA cache_size = -262144; PRAGMA wal_autocheckpoint = 16384")
                .execute(&mut **conn)
                .await?;
        }
        TxConn::Postgres(conn) => {
            // The evaluations and referral snapshots are kilobytes of JSON each, compressed
            // into TOAST as they land; pglz (the default) then takes a quarter of the load's
            // time. lz4, where the server has it, is several times faster and reads back the
            // same; the setting lasts for this transaction only.
            let lz4: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_settings \
                 WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))",
            )
            .fetch_one(&mut **conn)
            .await?;
            if lz4 {
                sqlx::raw_sql("SET LOCAL default_toast_compression = 'lz4'")
                    .execute(&mut **conn)
                    .await?;
            }
        }
    }
    let (tables, counts) = batch.into_chunks();
    for (table, chunks) in tables {
        match &mut tx.conn {
            TxConn::Sqlite(conn) => {
                for sql in chunks {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut **conn)
                        .await?;
                }
            }
            TxConn::Postgres(conn) => {
                let (name, columns) = TABLES[table];
                let statement = format!("COPY {name} ({columns}) FROM STDIN");
                let mut copy = conn.copy_in_raw(&statement).await?;
                for data in chunks {
                    if let Err(error) = copy.send(data.into_bytes()).await {
                        copy.abort(error.to_string()).await?;
                        return Err(error.into());
                    }
                }
                copy.finish().await?;
            }
        }
    }
    Ok(counts)
}

/// The last number issued for each year of `prefix`'s case references.
pub async fn reference_counters(
    tx: &mut Tx,
    prefix: &str,
) -> Result<BTreeMap<i64, i64>, StoreError> {
    let rows: Vec<(i64, i64)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT year, last_value FROM case_reference_counters WHERE prefix = $1 ORDER BY year",
        )
        .bind(prefix)
        .fetch_all(conn)
        .await?
    });
    Ok(rows.into_iter().collect())
}

/// Records that references up to `last_value` have been issued for `prefix` and `year` (never
/// lowers the counter), so the next case opened through the use cases takes the next number.
pub async fn advance_reference_counter(
    tx: &mut Tx,
    prefix: &str,
    year: i64,
    last_value: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO case_reference_counters (prefix, year, last_value) VALUES ($1, $2, $3) \
             ON CONFLICT (prefix, year) DO UPDATE SET last_value = \
             CASE WHEN excluded.last_value > case_reference_counters.last_value \
             THEN excluded.last_value ELSE case_reference_counters.last_value END",
        )
        .bind(prefix)
        .bind(year)
        .bind(last_value)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Counts `allocations` more allocations made for a trial (the counter
/// [`crate::trials::take_allocation_slot`] keeps one at a time).
pub async fn add_trial_allocations(
    tx: &mut Tx,
    trial_id: &str,
    allocations: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |conn| {
        sqlx::query("UPDATE trials SET allocations = allocations + $2 WHERE trial_id = $1")
            .bind(trial_id)
            .bind(allocations)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// How many allocations each stratum of a trial has had (so a bulk load continues each
/// stratum's sequence where it stands).
pub async fn allocations_by_stratum(
    tx: &mut Tx,
    trial_id: &str,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT stratum, CAST(COUNT(*) AS BIGINT) FROM trial_allocations \
             WHERE trial_id = $1 GROUP BY stratum",
        )
        .bind(trial_id)
        .fetch_all(conn)
        .await?
    });
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_for_each_backend() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut sqlite = String::new();
        Row {
            sql: &mut sqlite,
            backend: Backend::Sqlite,
            first: true,
        }
        .uuid(id)
        .text("O'Brien")
        .bool(true)
        .null()
        .int(-3);
        assert_eq!(
            sqlite,
            "X'0123456789abcdef0123456789abcdef', 'O''Brien', 1, NULL, -3"
        );
        let mut postgres = String::new();
        Row {
            sql: &mut postgres,
            backend: Backend::Postgres,
            first: true,
        }
        .uuid(id)
        .text("a\\b\tc\nO'Brien")
        .bool(false)
        .null()
        .date(CivilDate(jiff::civil::date(2026, 3, 4)));
        assert_eq!(
            postgres,
            "01234567-89ab-cdef-0123-456789abcdef\ta\\\\b\\tc\\nO'Brien\tf\t\\N\t2026-03-04"
        );
    }

    #[test]
    fn statements_split_at_the_row_limit_and_keep_table_order() {
        let mut batch = Batch::new(Backend::Sqlite);
        for i in 0..(ROWS_PER_STATEMENT as u128 + 1) {
            batch.assessment_item(&AssessmentItemRow {
                assessment_id: Uuid::from_u128(i),
                pathway: "housing".to_owned(),
                severity: "low".to_owned(),
                notes: None,
            });
        }
        batch.assessment(&AssessmentRow {
            id: Uuid::from_u128(1),
            case_id: Uuid::from_u128(2),
            assessed_by: None,
            assessed_at: Instant::from(jiff::Timestamp::UNIX_EPOCH),
            notes: None,
        });
        let (tables, counts) = batch.into_chunks();
        let statements: Vec<&String> = tables.iter().flat_map(|(_, c)| c).collect();
        assert_eq!(statements.len(), 3);
        assert!(statements[0].starts_with("INSERT INTO needs_assessments "));
        assert!(statements[1].starts_with("INSERT INTO needs_assessment_items "));
        assert!(statements[2].starts_with("INSERT INTO needs_assessment_items "));
        assert_eq!(counts.get("needs_assessment_items"), 501);
        assert_eq!(counts.total(), 502);
    }
}
