//! The reports' read model: every change to what a case's row is derived from marks the case
//! stale in the same transaction (migration 0010's triggers), and the million-row reads give
//! back what was written, on every backend.

use std::borrow::Cow;

use checkpoint_store::report_projection::{self, ProjectedCase};
use checkpoint_store::reporting::CaseSelection;
use checkpoint_store::{Backend, CivilDate, Instant};
use jiff::civil::date;

use crate::fixtures::populate;
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
        tx.rollback().await.expect("rollback");
        assert!(!cases.is_empty(), "{}", t.label);

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

fn written_row(case_id: uuid::Uuid) -> ProjectedCase<'static> {
    ProjectedCase {
        case_id,
        scheme_id: Cow::Borrowed("durham-checkpoint"),
        referral_month: Cow::Borrowed("2026-01"),
        funnel_stage: Cow::Borrowed("accepted"),
        ending: Some(Cow::Borrowed("completed")),
        ineligibility_reason: None,
        outcome_code: Some(Cow::Borrowed("22")),
        ethnicity_self_defined: Some(Cow::Borrowed("white_british")),
        ethnicity_officer_observed: None,
        sex: Cow::Borrowed("female"),
        age_band: Cow::Borrowed("25-34"),
        risk_band: Some(Cow::Borrowed("moderate")),
        previous_convictions: Some(2),
        trial_arm: Some(Cow::Borrowed("treatment")),
        index_date: Some(CivilDate(date(2026, 2, 1))),
        contract_end: Some(CivilDate(date(2026, 6, 1))),
        monitored_until: None,
        appointments_attended: 3,
        prosecuted: false,
        interventions_json: Some(Cow::Borrowed(r#"{"drug_treatment":1}"#)),
    }
}
