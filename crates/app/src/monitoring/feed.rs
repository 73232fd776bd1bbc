//! Reading an arrest feed (CSV) into rows the linker can score, and rows it cannot, each with
//! the line, the column and the reason, so the sender can fix them.
//!
//! Columns are found by name (any order; unknown columns are ignored, so a feed that carries a
//! truth column or extra fields still reads):
//! - required: `given_name`, `surname`, `dob` (DD/MM/YYYY or YYYY-MM-DD; may be empty),
//!   `arrest_date` (YYYY-MM-DD or DD/MM/YYYY);
//! - optional: `postcode`, `pnc_id`, an offence (`offence`, else `offence_category`), and a
//!   reference (`arrest_ref`, else `reference`, else `id`). Without a reference a row is known
//!   by the SHA-256 of its fields, so re-sending it is still recognised.

use jiff::civil::Date;
use sha2::{Digest, Sha256};
use std::io::Read;

/// A row that can be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    /// The feed's reference, or `sha256:<hex>` of the row.
    pub arrest_ref: String,
    pub given_name: String,
    pub surname: String,
    /// Normalised to DD/MM/YYYY, the linkage model's format.
    pub dob: String,
    pub postcode: String,
    pub pnc_id: String,
    pub arrest_date: Date,
    pub offence: String,
}

/// A row that could not be read, with the raw fields for the rejects file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
    pub fields: Vec<String>,
}

impl RejectedRow {
    /// `line 7, column dob: not a date`.
    pub fn describe(&self) -> String {
        match &self.column {
            Some(column) => format!("line {}, column {column}: {}", self.line, self.reason),
            None => format!("line {}: {}", self.line, self.reason),
        }
    }
}

/// A whole feed, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFeed {
    pub header: Vec<String>,
    pub rows: Vec<FeedRow>,
    pub rejects: Vec<RejectedRow>,
}

/// Why a feed could not be read at all (nothing in it is usable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error(
        "line 1: the header has no `{0}` column (required: given_name, surname, dob, arrest_date)"
    )]
    MissingColumn(&'static str),
    #[error("line 1: the header cannot be read: {0}")]
    BadHeader(String),
}

const REQUIRED: [&str; 4] = ["given_name", "surname", "dob", "arrest_date"];
const MAX_REF_CHARS: usize = 100;

/// Where each field is in a row.
struct Layout {
    given_name: usize,
    surname: usize,
    dob: usize,
    arrest_date: usize,
    postcode: Option<usize>,
    pnc_id: Option<usize>,
    offence: Option<usize>,
    reference: Option<usize>,
}

impl Layout {
    fn from_header(header: &[String]) -> Result<Layout, FeedError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let required = |name: &'static str| find(name).ok_or(FeedError::MissingColumn(name));
        for name in REQUIRED {
            required(name)?;
        }
        Ok(Layout {
            given_name: required("given_name")?,
            surname: required("surname")?,
            dob: required("dob")?,
            arrest_date: required("arrest_date")?,
            postcode: find("postcode"),
            pnc_id: find("pnc_id"),
            offence: find("offence").or_else(|| find("offence_category")),
            reference: find("arrest_ref")
                .or_else(|| find("reference"))
                .or_else(|| find("id")),
        })
    }
}

/// Reads a feed. `today` bounds arrest dates (an arrest cannot be in the future).
pub fn parse_feed(input: impl Read, today: Date) -> Result<ParsedFeed, FeedError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| FeedError::BadHeader(e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let layout = Layout::from_header(&header)?;
    let mut feed = ParsedFeed {
        header: header.clone(),
        ..ParsedFeed::default()
    };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                let fields: Vec<String> = record.iter().map(str::to_owned).collect();
                if fields.iter().all(|f| f.trim().is_empty()) {
                    continue;
                }
                match read_row(&layout, &header, &fields, line, today) {
                    Ok(row) => feed.rows.push(row),
                    Err((column, reason)) => feed.rejects.push(RejectedRow {
                        line,
                        column,
                        reason,
                        fields,
                    }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                feed.rejects.push(RejectedRow {
                    line,
                    column: None,
                    reason: format!("unreadable row: {e}"),
                    fields: Vec::new(),
                });
                // Invalid UTF-8 leaves the reader past the row; anything else cannot resume.
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    Ok(feed)
}

type RowError = (Option<String>, String);

fn read_row(
    layout: &Layout,
    header: &[String],
    fields: &[String],
    line: u64,
    today: Date,
) -> Result<FeedRow, RowError> {
    let column_error = |at: usize, reason: &str| (Some(header[at].clone()), reason.to_owned());
    if fields.len() < header.len() {
        return Err(column_error(
            fields.len(),
            &format!(
                "missing: the row has {} fields, the header {}",
                fields.len(),
                header.len()
            ),
        ));
    }
    if fields.len() > header.len() {
        return Err((
            None,
            format!(
                "the row has {} fields, the header {} (a stray comma or quote?)",
                fields.len(),
                header.len()
            ),
        ));
    }
    // A quote inside a field, or a line break, means the quoting went wrong somewhere: the
    // values around it cannot be trusted.
    if let Some(at) = fields
        .iter()
        .position(|f| f.contains('"') || f.contains('\n') || f.contains('\r'))
    {
        return Err(column_error(at, "stray quote or line break in the value"));
    }
    let text = |at: usize| fields[at].trim().to_owned();
    let optional = |at: Option<usize>| at.map(text).unwrap_or_default();
    for at in [layout.given_name, layout.surname] {
        if text(at).is_empty() {
            return Err(column_error(at, "is empty"));
        }
    }
    // A missing date of birth is common in custody records and the model treats it as
    // unknown; a present but unreadable one means the row is garbled.
    let dob_text = text(layout.dob);
    let dob = if dob_text.is_empty() {
        None
    } else {
        let dob = parse_date(&dob_text)
            .ok_or_else(|| column_error(layout.dob, "not a date (expected DD/MM/YYYY)"))?;
        if dob > today {
            return Err(column_error(layout.dob, "is in the future"));
        }
        Some(dob)
    };
    let arrest_date = parse_date(&text(layout.arrest_date))
        .ok_or_else(|| column_error(layout.arrest_date, "not a date (expected YYYY-MM-DD)"))?;
    if arrest_date > today {
        return Err(column_error(layout.arrest_date, "is in the future"));
    }
    let reference = optional(layout.reference);
    if let Some(at) = layout.reference
        && reference.chars().count() > MAX_REF_CHARS
    {
        return Err(column_error(
            at,
            &format!("longer than {MAX_REF_CHARS} characters"),
        ));
    }
    let mut row = FeedRow {
        line,
        arrest_ref: reference,
        given_name: text(layout.given_name),
        surname: text(layout.surname),
        dob: dob
            .map(|d| d.strftime("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        postcode: optional(layout.postcode),
        pnc_id: optional(layout.pnc_id),
        arrest_date,
        offence: optional(layout.offence),
    };
    if row.arrest_ref.is_empty() {
        row.arrest_ref = row_hash(&row);
    }
    Ok(row)
}

/// DD/MM/YYYY or YYYY-MM-DD.
fn parse_date(text: &str) -> Option<Date> {
    Date::strptime("%d/%m/%Y", text)
        .or_else(|_| text.parse::<Date>())
        .ok()
}

/// `sha256:<hex>` of the identifying fields, for feeds without a reference: the same arrest
/// sent twice hashes the same.
pub fn row_hash(row: &FeedRow) -> String {
    let mut hasher = Sha256::new();
    for part in [
        row.given_name.as_str(),
        row.surname.as_str(),
        row.dob.as_str(),
        row.postcode.as_str(),
        row.pnc_id.as_str(),
        &row.arrest_date.to_string(),
        row.offence.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 3, 4)
    }

    #[test]
    fn reads_good_rows_and_names_the_bad_ones() {
        let feed = "arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence\n\
                    A1,Ann,Smith,03/04/1990,QX1 1AA,,2026-01-02,theft\n\
                    A2,Bob,Jones,31/02/1990,QX1 1AA,,2026-01-02,theft\n\
                    A3,Cy,Lee,1990-04-03,QX1 1AA\n\
                    A4,Di,O\"Neil,03/04/1990,,,2026-01-02,theft\n\
                    A5,Ed,Ng,03/04/1990,,,2027-01-02,theft\n";
        let parsed = parse_feed(feed.as_bytes(), today()).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].dob, "03/04/1990");
        let described: Vec<String> = parsed.rejects.iter().map(RejectedRow::describe).collect();
        assert_eq!(
            described,
            [
                "line 3, column dob: not a date (expected DD/MM/YYYY)",
                "line 4, column pnc_id: missing: the row has 5 fields, the header 8",
                "line 5, column surname: stray quote or line break in the value",
                "line 6, column arrest_date: is in the future",
            ]
        );
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let feed = "given_name,surname,arrest_date\nAnn,Smith,2026-01-02\n";
        assert_eq!(
            parse_feed(feed.as_bytes(), today()),
            Err(FeedError::MissingColumn("dob"))
        );
    }

    #[test]
    fn rows_without_a_reference_are_known_by_their_hash() {
        let feed = "given_name,surname,dob,arrest_date\nAnn,Smith,03/04/1990,2026-01-02\n\
                    Ann,Smith,03/04/1990,2026-01-02\n";
        let parsed = parse_feed(feed.as_bytes(), today()).unwrap();
        assert!(parsed.rows[0].arrest_ref.starts_with("sha256:"));
        assert_eq!(parsed.rows[0].arrest_ref, parsed.rows[1].arrest_ref);
    }

    #[test]
    fn an_empty_feed_has_no_rows() {
        let parsed = parse_feed("given_name,surname,dob,arrest_date\n".as_bytes(), today());
        assert_eq!(parsed.unwrap().rows, []);
    }
}
