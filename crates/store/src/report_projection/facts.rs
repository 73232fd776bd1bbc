//! The `facts` column of `report_case_facts` (migration 0012): everything a [`ProjectedCase`]
//! holds but its id, as one value. A format byte ([`FORMAT`]), then the fields of [`Facts`]
//! in order, in postcard's encoding (variable-length integers, length-prefixed text; see
//! <https://postcard.jamesmunns.com/wire-format>).
//!
//! One value per row instead of a column per field because a report reads a million rows,
//! and PostgreSQL sends a row's values one at a time, each through its type's send function:
//! the server spent three times the CPU on twenty-one columns that it spends on an id and one
//! value (BENCHMARKS.md, session 8), on the cores the report runs on. Read as one value, the
//! row costs the database a single copy, and text is borrowed from it where it lies.
//!
//! **Changing [`Facts`] or how a field is written changes the format**: raise [`FORMAT`] and
//! add a migration that marks every case stale, so that every row is written again. A row in
//! another format is refused by name, never read as something else (a test pins the bytes of
//! a known row).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ProjectedCase;
use crate::error::StoreError;
use crate::time::CivilDate;

/// The format of the values written now, their first byte.
pub(super) const FORMAT: u8 = 1;

/// The stored fields, in stored order: those of [`ProjectedCase`] but its id, with text
/// borrowed (from the case when writing, from the row read when reading) and dates as
/// (year, month, day).
#[derive(Serialize, Deserialize)]
struct Facts<'a> {
    scheme_id: &'a str,
    referral_month: &'a str,
    funnel_stage: i16,
    ending: Option<i16>,
    ineligibility_reason: Option<&'a str>,
    outcome_code: Option<i16>,
    ethnicity_self_defined: Option<i16>,
    ethnicity_officer_observed: Option<i16>,
    sex: i16,
    age_band: i16,
    risk_band: Option<&'a str>,
    previous_convictions: Option<i64>,
    trial_arm: Option<i16>,
    index_date: Option<DateParts>,
    contract_end: Option<DateParts>,
    monitored_until: Option<DateParts>,
    appointments_attended: i64,
    prosecuted: bool,
    interventions_json: Option<&'a str>,
}

/// A date as year, month and day: three small numbers, read back without calendar arithmetic.
type DateParts = (i16, i8, i8);

fn parts(date: Option<CivilDate>) -> Option<DateParts> {
    date.map(|CivilDate(d)| (d.year(), d.month(), d.day()))
}

/// The `facts` value of `case`.
pub(super) fn encode(case: &ProjectedCase<'_>) -> Result<Vec<u8>, StoreError> {
    let facts = Facts {
        scheme_id: &case.scheme_id,
        referral_month: &case.referral_month,
        funnel_stage: case.funnel_stage,
        ending: case.ending,
        ineligibility_reason: case.ineligibility_reason.as_deref(),
        outcome_code: case.outcome_code,
        ethnicity_self_defined: case.ethnicity_self_defined,
        ethnicity_officer_observed: case.ethnicity_officer_observed,
        sex: case.sex,
        age_band: case.age_band,
        risk_band: case.risk_band.as_deref(),
        previous_convictions: case.previous_convictions,
        trial_arm: case.trial_arm,
        index_date: parts(case.index_date),
        contract_end: parts(case.contract_end),
        monitored_until: parts(case.monitored_until),
        appointments_attended: case.appointments_attended,
        prosecuted: case.prosecuted,
        interventions_json: case.interventions_json.as_deref(),
    };
    postcard::to_extend(&facts, vec![FORMAT]).map_err(|error| {
        StoreError::InvalidStoredValue(format!(
            "report_case_facts.facts of case {}: not written ({error})",
            case.case_id
        ))
    })
}

/// The case `case_id` from its stored `facts`, its text borrowed from them.
pub(super) fn decode(case_id: Uuid, stored: &[u8]) -> Result<ProjectedCase<'_>, StoreError> {
    let refused = |what: String| {
        StoreError::InvalidStoredValue(format!(
            "report_case_facts.facts of case {case_id} {what} \
             (`checkpoint read-model rebuild` derives every row again)"
        ))
    };
    let facts = match stored.split_first() {
        Some((&FORMAT, encoded)) => match postcard::take_from_bytes::<Facts<'_>>(encoded) {
            Ok((facts, [])) => facts,
            Ok((_, rest)) => {
                return Err(refused(format!("has {} bytes too many", rest.len())));
            }
            Err(error) => return Err(refused(format!("cannot be read: {error}"))),
        },
        Some((other, _)) => {
            return Err(refused(format!(
                "is in format {other}, and this version reads format {FORMAT}"
            )));
        }
        None => return Err(refused("is empty".into())),
    };
    let date = |field: &str, parts: Option<DateParts>| {
        parts
            .map(|(year, month, day)| {
                jiff::civil::Date::new(year, month, day)
                    .map(CivilDate)
                    .map_err(|_| refused(format!("cannot be read: {field} is not a date")))
            })
            .transpose()
    };
    Ok(ProjectedCase {
        case_id,
        scheme_id: Cow::Borrowed(facts.scheme_id),
        referral_month: Cow::Borrowed(facts.referral_month),
        funnel_stage: facts.funnel_stage,
        ending: facts.ending,
        ineligibility_reason: facts.ineligibility_reason.map(Cow::Borrowed),
        outcome_code: facts.outcome_code,
        ethnicity_self_defined: facts.ethnicity_self_defined,
        ethnicity_officer_observed: facts.ethnicity_officer_observed,
        sex: facts.sex,
        age_band: facts.age_band,
        risk_band: facts.risk_band.map(Cow::Borrowed),
        previous_convictions: facts.previous_convictions,
        trial_arm: facts.trial_arm,
        index_date: date("index_date", facts.index_date)?,
        contract_end: date("contract_end", facts.contract_end)?,
        monitored_until: date("monitored_until", facts.monitored_until)?,
        appointments_attended: facts.appointments_attended,
        prosecuted: facts.prosecuted,
        interventions_json: facts.interventions_json.map(Cow::Borrowed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_projection::tests::row;

    #[test]
    fn every_row_reads_back_as_written_with_its_text_borrowed() {
        for n in 0..20 {
            let case = row(n, n % 3 != 0);
            let stored = encode(&case).unwrap();
            let read = decode(case.case_id, &stored).unwrap();
            assert_eq!(read, case);
            assert!(matches!(read.scheme_id, Cow::Borrowed(_)));
            assert!(
                read.interventions_json
                    .iter()
                    .all(|j| matches!(j, Cow::Borrowed(_)))
            );
        }
    }

    /// The bytes of one row, written out: if this test fails, the stored format has changed,
    /// and [`FORMAT`] must be raised with a migration that marks every case stale.
    #[test]
    fn the_stored_format_is_the_documented_one() {
        let stored = encode(&row(1, true)).unwrap();
        let expected: Vec<u8> = [
            &[FORMAT][..],
            b"\x07scheme1",
            b"\x072026-01",
            b"\x06",     // funnel_stage 3 (zigzag)
            b"\x01\x04", // ending Some(2)
            b"\x01\x07reason1",
            b"\x01\x2c", // outcome_code Some(22)
            b"\x01\x02", // ethnicity_self_defined Some(1)
            b"\x01\x06", // ethnicity_officer_observed Some(3)
            b"\x02",     // sex 1
            b"\x02",     // age_band 1
            b"\x01\x09moderate1",
            b"\x01\x02",             // previous_convictions Some(1)
            b"\x01\x00",             // trial_arm Some(0)
            b"\x01\xd4\x1f\x01\x02", // index_date 2026-01-02
            b"\x00",                 // contract_end None
            b"\x01\xd6\x1f\x01\x01", // monitored_until 2027-01-01
            b"\x06",                 // appointments_attended 3
            b"\x00",                 // prosecuted false
            b"\x01\x15{\"drug_treatment\":1}1",
        ]
        .concat();
        assert_eq!(stored, expected);
    }

    #[test]
    fn a_value_that_is_not_a_row_is_refused_with_the_case_named() {
        let case = row(2, true);
        let stored = encode(&case).unwrap();
        let error = |bytes: &[u8]| decode(case.case_id, bytes).unwrap_err().to_string();
        let id = case.case_id;
        assert!(error(&[]).contains(&format!("facts of case {id} is empty")));
        assert!(
            error(&[&[9], &stored[1..]].concat())
                .contains("is in format 9, and this version reads format 1"),
        );
        assert!(error(&stored[..stored.len() - 3]).contains("cannot be read"));
        assert!(error(&[&stored[..], b"xy"].concat()).contains("has 2 bytes too many"));
        let mut not_utf8 = stored.clone();
        not_utf8[2] = 0xff; // in the scheme's name
        assert!(error(&not_utf8).contains("cannot be read"));
        let mut month_13 = encode(&row(2, true)).unwrap();
        let at = month_13
            .windows(5)
            .position(|w| w == b"\x01\xd4\x1f\x01\x03")
            .expect("index_date 2026-01-03");
        month_13[at + 3] = 13;
        assert!(error(&month_13).contains("index_date is not a date"));
    }
}
