//! Portable encodings for instants and civil dates.
//!
//! PostgreSQL stores [`Instant`] as `TIMESTAMPTZ` and [`CivilDate`] as `DATE`. SQLite has no
//! such types, so both are TEXT there. Instants are written with exactly six fractional digits
//! (`2026-03-01T09:30:00.000000Z`) so that text order is time order and range queries work;
//! they are truncated to microseconds, PostgreSQL's precision, so a value reads back equal on
//! both backends.

use std::fmt;

use jiff::fmt::temporal::DateTimePrinter;
use jiff_sqlx::ToSqlx;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A UTC instant, at microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(jiff::Timestamp);

impl Instant {
    pub fn now() -> Instant {
        Instant::from(jiff::Timestamp::now())
    }

    pub fn get(self) -> jiff::Timestamp {
        self.0
    }

    /// The fixed-width text form used on SQLite, in backups and in the audit hash.
    pub fn to_canonical_string(self) -> String {
        DateTimePrinter::new()
            .precision(Some(6))
            .timestamp_to_string(&self.0)
    }

    pub fn parse(text: &str) -> Result<Instant, jiff::Error> {
        text.parse::<jiff::Timestamp>().map(Instant::from)
    }
}

impl From<jiff::Timestamp> for Instant {
    fn from(ts: jiff::Timestamp) -> Instant {
        let micros = ts.as_microsecond();
        Instant(jiff::Timestamp::from_microsecond(micros).expect("truncation stays in range"))
    }
}

impl From<Instant> for jiff::Timestamp {
    fn from(instant: Instant) -> jiff::Timestamp {
        instant.0
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_canonical_string())
    }
}

impl Type<Sqlite> for Instant {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Instant {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.to_canonical_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Instant {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Instant::parse(text)?)
    }
}

impl Type<Postgres> for Instant {
    fn type_info() -> PgTypeInfo {
        <jiff_sqlx::Timestamp as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Instant {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode(self.0.to_sqlx(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Instant {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let ts = <jiff_sqlx::Timestamp as Decode<Postgres>>::decode(value)?;
        Ok(Instant::from(ts.to_jiff()))
    }
}

/// A calendar date with legal meaning (date of birth, offence date, deadlines): `DATE` on
/// PostgreSQL, `YYYY-MM-DD` text on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(pub jiff::civil::Date);

impl CivilDate {
    pub fn get(self) -> jiff::civil::Date {
        self.0
    }
}

impl From<jiff::civil::Date> for CivilDate {
    fn from(date: jiff::civil::Date) -> CivilDate {
        CivilDate(date)
    }
}

impl From<CivilDate> for jiff::civil::Date {
    fn from(date: CivilDate) -> jiff::civil::Date {
        date.0
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Type<Sqlite> for CivilDate {
    fn type_info() -> SqliteTypeInfo {
        <jiff_sqlx::Date as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for CivilDate {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.to_sqlx(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for CivilDate {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(CivilDate(
            <jiff_sqlx::Date as Decode<Sqlite>>::decode(value)?.to_jiff(),
        ))
    }
}

impl Type<Postgres> for CivilDate {
    fn type_info() -> PgTypeInfo {
        <jiff_sqlx::Date as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for CivilDate {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode(self.0.to_sqlx(), buf)
    }
}

impl<'r> Decode<'r, Postgres> for CivilDate {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(CivilDate(
            <jiff_sqlx::Date as Decode<Postgres>>::decode(value)?.to_jiff(),
        ))
    }
}
