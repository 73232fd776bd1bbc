//! The reports' read model: every change to what a case's row is derived from marks the case
//! stale in the same transaction (migration 0010's triggers), and the million-row reads give
//! back what was written, on every backend.

use std::borrow::Cow;

use checkpoint_store::report_projection::{self, CaseIdRange, ProjectedCase, RowBatch};
use checkpoint_store::reporting::CaseSelection;
use checkpoint_store::{Backend, CivilDate, Instant};
use jiff::civil::date;

use crate::fixtures::{person_with_case, populate};
use crate::helpers::{backends, raw, scalar};

const STALE: &str = "SELECT COUNT(*) FROM report_stale_cases";

#[tokio::test]
async fn every_change_a_row_is_derived_from_marks_its_case_stale() {
    for t in backends().await {
        let db = &t.db;
        let mut tx = db.begin().await.expect("begin");
        populate(&mut tx).await;
        tx.commit().await.expect("commit");
        let unmarked = "SELECT COUNT(*) FROM cases WHERE id NOT IN \
                        (SELECT case_id FROM report_stale_cases)";
        assert_eq!(scalar(db, unmarked).await, 0, "{}: new cases", t.label);

        let new_id = match db.backend() {
            Backend::Sqlite => "randomblob(16)",
            Backend::Postgres => "gen_random_uuid()",
        };
        let changes = [
            ("cases", "UPDATE cases SET team = team".to_owned()),
            ("people", "UPDATE people SET sex = sex".to_owned()),
            (
                "case_events",
                format!(
                    "INSERT INTO case_events (id, case_id, sequence, occurred_at, kind, \
                     payload_json) SELECT {new_id}, case_id, sequence + 1000, occurred_at, \
                     'note', '{{}}' FROM case_events WHERE sequence = 1"
                ),
            ),
            (
                "trial_allocations",
                "UPDATE trial_allocations SET stratum = stratum".to_owned(),
            ),
            (
                "contracts",
                "UPDATE contracts SET signed_on = signed_on".to_owned(),
            ),
            (
                "contract_conditions",
                "UPDATE contract_conditions SET status = status".to_owned(),
            ),
            (
                "appointments",
                "UPDATE appointments SET attendance = attendance".to_owned(),
            ),
            ("appointments", "DELETE FROM appointments".to_owned()),
            (
                "contract_conditions",
                "DELETE FROM contract_conditions".to_owned(),
            ),
            (
                "trial_allocations",
                "DELETE FROM trial_allocations".to_owned(),
            ),
        ];
        for (table, change) in changes {
            raw(db, "DELETE FROM report_stale_cases").await;
            raw(db, &change).await;
            assert!(
                scalar(db, STALE).await > 0,
                "{}: `{change}` on {table} marked nothing stale",
                t.label
            );
        }
        // A change to nothing a row is derived from marks nothing.
        raw(db, "DELETE FROM report_stale_cases").await;
        raw(db, "UPDATE users SET display_name = display_name").await;
        assert_eq!(scalar(db, STALE).await, 0, "{}", t.label);
    }
}

#[tokio::test]
async fn rows_read_back_as_written_and_filter_by_scheme_and_date() {
    for t in backends().await {
        let db = &t.db;
        let mut tx = db.begin().await.expect("begin");
        populate(&mut tx).await;
        tx.commit().await.expect("commit");
        let mut tx = db.begin_read().await.expect("begin");
        let cases = report_projection::stale_cases(&mut tx, &CaseSelection::default())
            .await
            .expect("stale");
        assert!(!cases.is_empty(), "{}", t.label);
        // Filtered by the cases' own scheme (the read model has no rows yet to filter by).
        for (scheme, expected) in [
            (
                "durham-checkpoint",
                scalar(
                    db,
                    "SELECT COUNT(*) FROM cases WHERE scheme_id = 'durham-checkpoint'",
                )
                .await,
            ),
            ("elsewhere", 0),
        ] {
            let selection = CaseSelection {
                scheme_id: Some(scheme.to_owned()),
                ..CaseSelection::default()
            };
            let stale = report_projection::stale_cases(&mut tx, &selection)
                .await
                .expect("stale by scheme");
            assert_eq!(stale.len() as i64, expected, "{}: {scheme}", t.label);
        }
        tx.rollback().await.expect("rollback");

        let opened = Instant::from(jiff::Timestamp::from_second(1_767_225_600).expect("2026"));
        let written: Vec<(Instant, ProjectedCase<'static>)> =
            cases.iter().map(|id| (opened, written_row(*id))).collect();
        let mut tx = db.begin().await.expect("begin");
        report_projection::replace(&mut tx, &written)
            .await
            .expect("replace");
        // Written twice: the second replaces the first.
        report_projection::replace(&mut tx, &written)
            .await
            .expect("replace again");
        tx.commit().await.expect("commit");
        assert_eq!(
            scalar(db, STALE).await,
            0,
            "{}: replace clears the marks",
            t.label
        );

        let read = |selection: CaseSelection| async move {
            let mut tx = db.begin_read().await.expect("begin");
            let mut rows = 0;
            report_projection::for_each(&mut tx, &selection, &mut |row| {
                assert_eq!(row, &written_row(row.case_id), "read back");
                rows += 1;
                Ok(())
            })
            .await
            .expect("read");
            tx.rollback().await.expect("rollback");
            rows
        };
        assert_eq!(
            read(CaseSelection::default()).await,
            cases.len(),
            "{}",
            t.label
        );
        let scheme = |s: &str| CaseSelection {
            scheme_id: Some(s.to_owned()),
            ..CaseSelection::default()
        };
        assert_eq!(
            read(scheme("durham-checkpoint")).await,
            cases.len(),
            "{}",
            t.label
        );
        assert_eq!(read(scheme("elsewhere")).await, 0, "{}", t.label);
        let after = CaseSelection {
            opened_from: Some(Instant::from(
                jiff::Timestamp::from_second(1_767_225_601).expect("later"),
            )),
            ..CaseSelection::default()
        };
        assert_eq!(read(after).await, 0, "{}", t.label);
    }
}

#[tokio::test]
async fn a_pair_of_readers_shares_one_snapshot_and_two_halves_read_every_row_once() {
    for t in backends().await {
        let db = &t.db;
        let mut tx = db.begin().await.expect("begin");
        for year in 2020..2030 {
            person_with_case(&mut tx, year).await;
        }
        let mut cases = report_projection::stale_cases(&mut tx, &CaseSelection::default())
            .await
            .expect("stale");
        let opened = Instant::from(jiff::Timestamp::from_second(1_767_225_600).expect("2026"));
        let written: Vec<_> = cases.iter().map(|id| (opened, written_row(*id))).collect();
        report_projection::replace(&mut tx, &written)
            .await
            .expect("replace");
        tx.commit().await.expect("commit");
        cases.sort();

        let (mut first, second) = db.begin_read_pair().await.expect("pair");
        let mut second = second.expect("no writer holds the lock: two transactions");
        // Committed after the pair began: neither of them sees it.
        raw(db, "DELETE FROM report_case_facts").await;
        assert_eq!(
            scalar(db, "SELECT COUNT(*) FROM report_case_facts").await,
            0,
            "{}",
            t.label
        );

        let everything = CaseSelection::default();
        let span = report_projection::case_id_span(&mut first, &everything)
            .await
            .expect("span");
        assert_eq!(
            span,
            Some((cases[0], cases[cases.len() - 1])),
            "{}",
            t.label
        );
        let (lowest, highest) = span.expect("rows");
        let halves = CaseIdRange::halves(lowest, highest);
        let mut read = Vec::new();
        for (half, tx) in halves.iter().zip([&mut first, &mut second]) {
            let mut ids = Vec::new();
            report_projection::read_in_batches(tx, &everything, *half, &|_| true, 2, &mut |full| {
                for row in full.rows() {
                    let row = row?;
                    assert_eq!(row, written_row(row.case_id), "read back");
                    assert!(half.contains(row.case_id), "{half:?}");
                    ids.push(row.case_id);
                }
                Ok(RowBatch::with_capacity(2))
            })
            .await
            .expect("read a half");
            read.push(ids);
        }
        assert!(
            read.iter().all(|ids| !ids.is_empty()),
            "{}: {read:?}",
            t.label
        );
        let mut both: Vec<_> = read.concat();
        both.sort();
        assert_eq!(both, cases, "{}", t.label);
        first.rollback().await.expect("rollback");
        second.rollback().await.expect("rollback");
    }
}

#[tokio::test]
async fn while_a_writer_holds_sqlites_lock_a_reader_settles_for_one_transaction() {
    for t in backends().await {
        let writer = t.db.begin().await.expect("writer");
        let (first, second) = t.db.begin_read_pair().await.expect("pair");
        // SQLite needs the write lock to align two snapshots, and settles for one transaction
        // rather than wait; PostgreSQL's exported snapshot needs no lock.
        assert_eq!(second.is_some(), t.label == "postgres", "{}", t.label);
        first.rollback().await.expect("rollback");
        if let Some(second) = second {
            second.rollback().await.expect("rollback");
        }
        writer.rollback().await.expect("rollback");
        // With the writer gone, SQLite pairs again (and its connection waits as usual).
        let (first, second) = t.db.begin_read_pair().await.expect("pair");
        assert!(second.is_some(), "{}", t.label);
        first.rollback().await.expect("rollback");
        second.expect("pair").rollback().await.expect("rollback");
    }
}

#[test]
fn halves_split_between_the_ends_and_cover_every_id() {
    let id = uuid::Uuid::from_u128;
    for (low, high) in [(0, u128::MAX), (5, 6), (7, 7), (u128::MAX - 1, u128::MAX)] {
        let [below, above] = CaseIdRange::halves(id(low), id(high));
        let middle = above.from.expect("split").as_u128();
        assert_eq!(below.before, above.from, "{low}..{high}");
        assert!(low <= middle && middle <= high, "{low}..{high}: {middle}");
        assert!(
            high - middle <= middle - low + 1,
            "{low}..{high}: {middle} is halfway"
        );
        for probe in [0, 1, low, high, low / 2 + high / 2, u128::MAX] {
            assert!(
                below.contains(id(probe)) != above.contains(id(probe)),
                "{probe} in exactly one half of {low}..{high}"
            );
        }
    }
}

fn written_row(case_id: uuid::Uuid) -> ProjectedCase<'static> {
    ProjectedCase {
        case_id,
        scheme_id: Cow::Borrowed("durham-checkpoint"),
        referral_month: Cow::Borrowed("2026-01"),
        funnel_stage: 3,
        ending: Some(2),
        ineligibility_reason: None,
        outcome_code: Some(22),
        ethnicity_self_defined: Some(12),
        ethnicity_officer_observed: None,
        sex: 0,
        age_band: 2,
        risk_band: Some(Cow::Borrowed("moderate")),
        previous_convictions: Some(2),
        trial_arm: Some(0),
        index_date: Some(CivilDate(date(2026, 2, 1))),
        contract_end: Some(CivilDate(date(2026, 6, 1))),
        monitored_until: None,
        appointments_attended: 3,
        prosecuted: false,
        interventions_json: Some(Cow::Borrowed(r#"{"drug_treatment":1}"#)),
    }
}
