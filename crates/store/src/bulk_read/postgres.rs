//! Bulk reads on PostgreSQL: `COPY (query) TO STDOUT (FORMAT binary)`, parsed here.
//!
//! sqlx's row stream builds a row (an allocation and a column map) for each row and checks
//! the declared type of each value as it is read; at a million rows that was most of the
//! client's time. COPY sends the rows with nothing around them, and the binary format's values
//! need no parsing: a UUID is its 16 bytes, a date its day number, text its UTF-8.
//!
//! Two things COPY does not do, done here instead:
//! - It takes no parameters. Each is set as a transaction-local setting
//!   (`set_config(name, value, true)`, itself a bound parameter, so no value is ever spliced
//!   into SQL) and the query reads it back with `current_setting(name)`.
//! - Its rows carry no types. The query is prepared first, for its columns' types; each
//!   getter checks the column's type before it reads the bytes (a comparison, not sqlx's
//!   per-value type check), so a column read as the wrong type fails by name.

use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{Column, Executor, Statement, TypeInfo};
use uuid::Uuid;

use super::{Param, RowView};
use crate::error::StoreError;
use crate::time::CivilDate;

/// The binary COPY format's signature, the first 11 bytes of the stream.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// A column's type, as far as the getters care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Uuid,
    Text,
    Bytea,
    Date,
    Other,
}

impl ColumnType {
    fn of(name: &str) -> Self {
        match name {
            "UUID" => ColumnType::Uuid,
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => ColumnType::Text,
            "BYTEA" => ColumnType::Bytea,
            "DATE" => ColumnType::Date,
            _ => ColumnType::Other,
        }
    }
}

/// A result column: its name and type, from preparing the query.
#[derive(Debug)]
struct ResultColumn {
    name: String,
    declared: String,
    kind: ColumnType,
}

/// The transaction-local setting that carries parameter `index` (from 0).
fn setting_name(index: usize) -> String {
    format!("checkpoint.bulk_read_{}", index + 1)
}

pub(super) async fn for_each_row(
    conn: &mut PgConnection,
    sql: &str,
    params: &[Param],
    each: &mut (dyn FnMut(&dyn RowView) -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    // One statement sets them all: `set_config($1, $2, true), set_config($3, $4, true), …`.
    let mut query = sql.to_owned();
    if !params.is_empty() {
        let setters: Vec<String> = (0..params.len())
            .map(|index| format!("set_config(${}, ${}, true)", 2 * index + 1, 2 * index + 2))
            .collect();
        let set = format!("SELECT {}", setters.join(", "));
        let mut setting = sqlx::query(sqlx::AssertSqlSafe(set));
        for (index, param) in params.iter().enumerate() {
            setting = setting.bind(setting_name(index)).bind(param.as_text());
        }
        setting.execute(&mut *conn).await?;
    }
    // Highest first, so that `$1` is not replaced inside `$12`.
    for (index, param) in params.iter().enumerate().rev() {
        let cast = match param {
            Param::Text(_) => "",
            Param::Instant(_) => "::timestamptz",
            Param::Uuid(_) => "::uuid",
        };
        query = query.replace(
            &format!("${}", index + 1),
            &format!("current_setting('{}'){cast}", setting_name(index)),
        );
    }
    let prepared = conn
        .prepare(sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(
            query.clone(),
        )))
        .await?;
    let columns: Vec<ResultColumn> = prepared
        .columns()
        .iter()
        .map(|column| ResultColumn {
            name: column.name().to_owned(),
            declared: column.type_info().name().to_owned(),
            kind: ColumnType::of(column.type_info().name()),
        })
        .collect();
    let copy = format!("COPY ({query}) TO STDOUT (FORMAT binary)");
    let mut chunks = conn.copy_out_raw(&copy).await?;
    let mut parser = CopyParser::new(&columns);
    let mut failed = None;
    while let Some(chunk) = chunks.try_next().await? {
        if failed.is_none()
            && let Err(error) = parser.feed(&chunk, each)
        {
            // The rest of the COPY is still on its way: it is read to the end (and dropped)
            // so that the connection is usable for the rollback that follows the error.
            failed = Some(error);
        }
    }
    if let Some(error) = failed {
        return Err(error);
    }
    parser.finish()
}

/// Splits the COPY stream into rows. PostgreSQL sends a message per row, but the format does
/// not promise it, so a row split across chunks is put back together.
struct CopyParser<'c> {
    columns: &'c [ResultColumn],
    /// Bytes of an incomplete row (or header) carried over to the next chunk.
    carried: Vec<u8>,
    header_read: bool,
    ended: bool,
    /// Each field of the current row: where it starts in its chunk and its length, or `None`
    /// for NULL.
    fields: Vec<Option<(usize, usize)>>,
}

fn invalid(what: String) -> StoreError {
    StoreError::InvalidStoredValue(format!("PostgreSQL COPY: {what}"))
}

fn be_i16(bytes: &[u8]) -> i16 {
    i16::from_be_bytes([bytes[0], bytes[1]])
}

fn be_i32(bytes: &[u8]) -> i32 {
    i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

impl<'c> CopyParser<'c> {
    fn new(columns: &'c [ResultColumn]) -> Self {
        CopyParser {
            columns,
            carried: Vec::new(),
            header_read: false,
            ended: false,
            fields: Vec::with_capacity(columns.len()),
        }
    }

    fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut (dyn FnMut(&dyn RowView) -> Result<(), StoreError> + Send),
    ) -> Result<(), StoreError> {
        if self.carried.is_empty() {
            let used = self.parse(chunk, each)?;
            self.carried.extend_from_slice(&chunk[used..]);
        } else {
            let mut data = std::mem::take(&mut self.carried);
            data.extend_from_slice(chunk);
            let used = self.parse(&data, each)?;
            data.drain(..used);
            self.carried = data;
        }
        Ok(())
    }

    /// Parses the complete rows at the start of `data` and returns how many bytes they took.
    fn parse(
        &mut self,
        data: &[u8],
        each: &mut (dyn FnMut(&dyn RowView) -> Result<(), StoreError> + Send),
    ) -> Result<usize, StoreError> {
        let mut at = 0;
        if !self.header_read {
            // Signature, flags, then an extension area of the length given.
            let Some(fixed) = data.get(..SIGNATURE.len() + 8) else {
                return Ok(0);
            };
            if &fixed[..SIGNATURE.len()] != SIGNATURE {
                return Err(invalid(
                    "the stream does not start with the binary signature".into(),
                ));
            }
            let extension = usize::try_from(be_i32(&fixed[SIGNATURE.len() + 4..]))
                .map_err(|_| invalid("negative header extension length".into()))?;
            let header = fixed.len() + extension;
            if data.len() < header {
                return Ok(0);
            }
            at = header;
            self.header_read = true;
        }
        while let Some(count) = data.get(at..at + 2).map(be_i16) {
            if self.ended {
                return Err(invalid("data after the end of the rows".into()));
            }
            if count == -1 {
                self.ended = true;
                at += 2;
                continue;
            }
            if usize::try_from(count).ok() != Some(self.columns.len()) {
                return Err(invalid(format!(
                    "a row of {count} fields, expected {}",
                    self.columns.len()
                )));
            }
            // Where the fields are, if the whole row is here.
            self.fields.clear();
            let mut cursor = at + 2;
            let mut complete = true;
            for _ in 0..self.columns.len() {
                let Some(length) = data.get(cursor..cursor + 4).map(be_i32) else {
                    complete = false;
                    break;
                };
                cursor += 4;
                if length < 0 {
                    self.fields.push(None);
                    continue;
                }
                let length = length as usize;
                if data.len() < cursor + length {
                    complete = false;
                    break;
                }
                self.fields.push(Some((cursor, length)));
                cursor += length;
            }
            if !complete {
                break;
            }
            each(&CopyRow {
                data,
                fields: &self.fields,
                columns: self.columns,
            })?;
            at = cursor;
        }
        Ok(at)
    }

    fn finish(self) -> Result<(), StoreError> {
        if !self.ended || !self.carried.is_empty() {
            return Err(invalid("the rows ended early".into()));
        }
        Ok(())
    }
}

/// One row of the COPY stream, borrowed from the chunk it arrived in.
struct CopyRow<'a> {
    data: &'a [u8],
    fields: &'a [Option<(usize, usize)>],
    columns: &'a [ResultColumn],
}

impl CopyRow<'_> {
    /// The column's bytes (`None` for NULL), once its type is one of `expected`.
    fn bytes(&self, column: usize, expected: &[ColumnType]) -> Result<Option<&[u8]>, StoreError> {
        let described = self
            .columns
            .get(column)
            .ok_or_else(|| invalid(format!("no column {column}")))?;
        if !expected.contains(&described.kind) {
            return Err(invalid(format!(
                "column {} is {}, read as {:?}",
                described.name, described.declared, expected[0]
            )));
        }
        Ok(self.fields[column].map(|(start, length)| &self.data[start..start + length]))
    }

    fn wrong_length(&self, column: usize, length: usize) -> StoreError {
        invalid(format!(
            "column {} has a value of {length} bytes",
            self.columns[column].name
        ))
    }

    fn required<T>(&self, column: usize, value: Option<T>) -> Result<T, StoreError> {
        value.ok_or_else(|| invalid(format!("column {} is NULL", self.columns[column].name)))
    }
}

impl RowView for CopyRow<'_> {
    fn uuid(&self, column: usize) -> Result<Uuid, StoreError> {
        let bytes = self.bytes(column, &[ColumnType::Uuid])?;
        let bytes = self.required(column, bytes)?;
        Uuid::from_slice(bytes).map_err(|_| self.wrong_length(column, bytes.len()))
    }

    fn text_bytes(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
        self.bytes(column, &[ColumnType::Text])
    }

    fn blob(&self, column: usize) -> Result<Option<&[u8]>, StoreError> {
        self.bytes(column, &[ColumnType::Bytea])
    }

    fn date(&self, column: usize) -> Result<Option<CivilDate>, StoreError> {
        self.bytes(column, &[ColumnType::Date])?
            .map(|bytes| {
                let &[a, b, c, d] = bytes else {
                    return Err(self.wrong_length(column, bytes.len()));
                };
                let days = i32::from_be_bytes([a, b, c, d]);
                date_from_days_since_2000(days)
                    .map(CivilDate)
                    .ok_or_else(|| {
                        invalid(format!(
                            "column {} holds a date outside years -9999 to 9999 (day {days})",
                            self.columns[column].name
                        ))
                    })
            })
            .transpose()
    }
}

/// A PostgreSQL date (days since 2000-01-01; `infinity` and `-infinity` are the extreme
/// values) as a civil date, or `None` outside the years jiff represents. The civil-from-days
/// arithmetic of Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms": a date per
/// value of a million rows is too many for calendar arithmetic through spans.
fn date_from_days_since_2000(days: i32) -> Option<jiff::civil::Date> {
    // 2000-01-01 is day 10,957 of the Unix epoch; the algorithm counts from 0000-03-01.
    let z = i64::from(days) + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_are_the_dates_jiff_counts_to() {
        let epoch = jiff::civil::date(2000, 1, 1);
        // Every day from 1600 to 2400 (leap centuries and all), and the ends of jiff's range.
        let mut date = jiff::civil::date(1600, 1, 1);
        let mut days = epoch.until(date).unwrap().get_days();
        while date.year() < 2400 {
            assert_eq!(date_from_days_since_2000(days), Some(date), "day {days}");
            date = date.tomorrow().unwrap();
            days += 1;
        }
        for end in [jiff::civil::Date::MIN, jiff::civil::Date::MAX] {
            let days = epoch.until(end).unwrap().get_days();
            assert_eq!(date_from_days_since_2000(days), Some(end));
            let beyond = if days < 0 { days - 1 } else { days + 1 };
            assert_eq!(date_from_days_since_2000(beyond), None);
        }
        // PostgreSQL's infinities.
        assert_eq!(date_from_days_since_2000(i32::MAX), None);
        assert_eq!(date_from_days_since_2000(i32::MIN), None);
    }

    fn columns(kinds: &[ColumnType]) -> Vec<ResultColumn> {
        kinds
            .iter()
            .enumerate()
            .map(|(n, kind)| ResultColumn {
                name: format!("c{n}"),
                declared: format!("{kind:?}").to_uppercase(),
                kind: *kind,
            })
            .collect()
    }

    /// A binary COPY stream of rows of (uuid, text, bytea, date) values.
    fn stream(rows: &[(Uuid, Option<&str>, &[u8], i32)]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(0i32.to_be_bytes());
        out.extend(4i32.to_be_bytes());
        out.extend(b"xxxx"); // a header extension, skipped
        for (id, text, blob, date) in rows {
            out.extend(4i16.to_be_bytes());
            out.extend(16i32.to_be_bytes());
            out.extend(id.as_bytes());
            match text {
                Some(text) => {
                    out.extend((text.len() as i32).to_be_bytes());
                    out.extend(text.as_bytes());
                }
                None => out.extend((-1i32).to_be_bytes()),
            }
            out.extend((blob.len() as i32).to_be_bytes());
            out.extend(*blob);
            out.extend(4i32.to_be_bytes());
            out.extend(date.to_be_bytes());
        }
        out.extend((-1i16).to_be_bytes());
        out
    }

    type Read = (Uuid, Option<String>, Option<Vec<u8>>, Option<CivilDate>);

    fn read_in_chunks(
        data: &[u8],
        chunk: usize,
        kinds: &[ColumnType],
    ) -> Result<Vec<Read>, StoreError> {
        let columns = columns(kinds);
        let mut parser = CopyParser::new(&columns);
        let mut rows = Vec::new();
        for piece in data.chunks(chunk) {
            parser.feed(piece, &mut |row| {
                rows.push((
                    row.uuid(0)?,
                    row.text(1)?.map(str::to_owned),
                    row.blob(2)?.map(<[u8]>::to_vec),
                    row.date(3)?,
                ));
                Ok(())
            })?;
        }
        parser.finish()?;
        Ok(rows)
    }

    const KINDS: [ColumnType; 4] = [
        ColumnType::Uuid,
        ColumnType::Text,
        ColumnType::Bytea,
        ColumnType::Date,
    ];

    #[test]
    fn rows_read_back_however_the_stream_is_cut() {
        let rows = [
            (
                Uuid::from_bytes([1; 16]),
                Some("adult-checkpoint"),
                &b"\x01facts"[..],
                9_000,
            ),
            (Uuid::from_bytes([2; 16]), None, &[][..], -1),
            (Uuid::from_bytes([3; 16]), Some("ü"), &[0xff; 300][..], 0),
        ];
        let data = stream(&rows);
        let expected: Vec<Read> = rows
            .iter()
            .map(|(id, text, blob, days)| {
                (
                    *id,
                    text.map(str::to_owned),
                    Some(blob.to_vec()),
                    date_from_days_since_2000(*days).map(CivilDate),
                )
            })
            .collect();
        for chunk in [1, 2, 3, 7, 20, data.len()] {
            assert_eq!(
                read_in_chunks(&data, chunk, &KINDS).unwrap(),
                expected,
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_stream_cut_short_or_mistyped_is_an_error() {
        let data = stream(&[(Uuid::from_bytes([1; 16]), Some("a"), &b"b"[..], 1)]);
        let cut = read_in_chunks(&data[..data.len() - 2], 5, &KINDS).unwrap_err();
        assert!(cut.to_string().contains("ended early"), "{cut}");
        let mut not_copy = data.clone();
        not_copy[0] = b'X';
        let refused = read_in_chunks(&not_copy, 64, &KINDS).unwrap_err();
        assert!(refused.to_string().contains("signature"), "{refused}");
        let mut mistyped = KINDS;
        mistyped[2] = ColumnType::Text;
        let wrong = read_in_chunks(&data, 64, &mistyped).unwrap_err();
        assert!(wrong.to_string().contains("column c2 is TEXT"), "{wrong}");
    }
}
