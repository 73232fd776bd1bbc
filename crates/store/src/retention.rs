//! Retention review (`checkpoint retention run`): finding people whose every case has been
//! disposed of, and rewriting their records under a pseudonym. What to write is decided in
//! `app` (with `checkpoint_domain::redaction`); this module only knows where the text is.

use uuid::Uuid;

use crate::db::{Tx, on_tx};
use crate::error::StoreError;
use crate::time::{CivilDate, Instant};

/// A text column that may hold a person's identifiers, and how to find one person's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSite {
    pub table: &'static str,
    pub column: &'static str,
    /// Whether the column holds JSON (cleaned value by value) or plain text.
    pub json: bool,
    /// A condition on the row with `$1` bound to the person's id.
    of_person: &'static str,
}

const CASES_OF_PERSON: &str = "case_id IN (SELECT id FROM cases WHERE person_id = $1)";

/// Every text column outside `case_events` (see [`event_texts`]) and `arrests` (see
/// [`pseudonymise_linked_arrests`]) that can name a person. Free-text notes are not here:
/// [`clear_notes`] removes them whole.
pub const TEXT_SITES: [TextSite; 11] = [
    TextSite {
        table: "referrals",
        column: "input_json",
        json: true,
        of_person: "person_id = $1",
    },
    TextSite {
        table: "decisions",
        column: "evaluation_json",
        json: true,
        of_person: "referral_id IN (SELECT id FROM referrals WHERE person_id = $1)",
    },
    TextSite {
        table: "decisions",
        column: "override_reason",
        json: false,
        of_person: "referral_id IN (SELECT id FROM referrals WHERE person_id = $1)",
    },
    TextSite {
        table: "screening_advice",
        column: "evaluation_json",
        json: true,
        of_person: CASES_OF_PERSON,
    },
    TextSite {
        table: "contracts",
        column: "variation_reason",
        json: false,
        of_person: CASES_OF_PERSON,
    },
    TextSite {
        table: "contract_conditions",
        column: "description",
        json: false,
        of_person: "contract_id IN (SELECT k.id FROM contracts k \
                    JOIN cases c ON c.id = k.case_id WHERE c.person_id = $1)",
    },
    TextSite {
        table: "appointments",
        column: "purpose",
        json: false,
        of_person: CASES_OF_PERSON,
    },
    TextSite {
        table: "appointments",
        column: "location",
        json: false,
        of_person: CASES_OF_PERSON,
    },
    TextSite {
        table: "arrest_links",
        column: "explanation_json",
        json: true,
        of_person: "person_id = $1",
    },
    TextSite {
        table: "clerical_reviews",
        column: "explanation_json",
        json: true,
        of_person: "person_id = $1",
    },
    TextSite {
        table: "clerical_reviews",
        column: "reason",
        json: false,
        of_person: "person_id = $1",
    },
];

/// The primary key of each table in [`TEXT_SITES`].
fn key_of(table: &str) -> &'static str {
    match table {
        "arrest_links" | "clerical_reviews" => "arrest_id",
        _ => "id",
    }
}

/// People not yet pseudonymised who have cases, all of them disposed of.
pub async fn people_ready(tx: &mut Tx) -> Result<Vec<Uuid>, StoreError> {
    let sql = "SELECT p.id FROM people p WHERE p.pseudonymised_at IS NULL \
         AND EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id) \
         AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.state <> 'disposed') \
         ORDER BY p.id";
    Ok(on_tx!(tx, |conn| {
        sqlx::query_scalar(sql).fetch_all(conn).await?
    }))
}

/// One person's non-empty values of `site`, by row key.
pub async fn texts(
    tx: &mut Tx,
    site: &TextSite,
    person_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let sql = format!(
        "SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL AND {of_person}",
        key = key_of(site.table),
        column = site.column,
        table = site.table,
        of_person = site.of_person,
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Replaces one value of `site`.
pub async fn replace_text(
    tx: &mut Tx,
    site: &TextSite,
    key: Uuid,
    text: &str,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE {table} SET {column} = $2 WHERE {key} = $1",
        table = site.table,
        column = site.column,
        key = key_of(site.table),
    );
    on_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .bind(text)
            .execute(conn)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// The reason and payload of every event of one person's cases not redacted yet.
pub async fn event_texts(
    tx: &mut Tx,
    person_id: Uuid,
) -> Result<Vec<(Uuid, Option<String>, String)>, StoreError> {
    let sql = format!(
        "SELECT id, reason, payload_json FROM case_events \
         WHERE redacted_at IS NULL AND {CASES_OF_PERSON}"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(person_id)
            .fetch_all(conn)
            .await?
    }))
}

/// Redacts one event's free text: the only change the append-only trigger lets through, and
/// only once.
pub async fn redact_event(
    tx: &mut Tx,
    event_id: Uuid,
    reason: Option<&str>,
    payload_json: &str,
) -> Result<(), StoreError> {
    let now = tx.now();
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE case_events SET reason = $2, payload_json = $3, redacted_at = $4 WHERE id = $1",
        )
        .bind(event_id)
        .bind(reason)
        .bind(payload_json)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Removes every free-text note on one person's cases; returns how many rows lost a note.
pub async fn clear_notes(tx: &mut Tx, person_id: Uuid) -> Result<u64, StoreError> {
    const STATEMENTS: [&str; 5] = [
        "UPDATE appointments SET notes = NULL WHERE notes IS NOT NULL AND case_id IN \
         (SELECT id FROM cases WHERE person_id = $1)",
        "UPDATE provider_referrals SET response_notes = NULL WHERE response_notes IS NOT NULL \
         AND case_id IN (SELECT id FROM cases WHERE person_id = $1)",
        "UPDATE needs_assessment_items SET notes = NULL WHERE notes IS NOT NULL AND assessment_id IN \
         (SELECT n.id FROM needs_assessments n JOIN cases c ON c.id = n.case_id WHERE c.person_id = $1)",
        "UPDATE needs_assessments SET notes = NULL WHERE notes IS NOT NULL AND case_id IN \
         (SELECT id FROM cases WHERE person_id = $1)",
        "UPDATE override_countersignatures SET note = NULL WHERE note IS NOT NULL AND decision_id IN \
         (SELECT d.id FROM decisions d JOIN referrals r ON r.id = d.referral_id WHERE r.person_id = $1)",
    ];
    let mut cleared = 0;
    for sql in STATEMENTS {
        cleared += on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(person_id)
                .execute(conn)
                .await?
                .rows_affected()
        });
    }
    Ok(cleared)
}

/// Replaces a person's direct identifiers: no given name, the pseudonym as family name, the
/// stand-in date of birth, no postcode or PNC id. Sex, ethnicity and area stay for evaluation.
pub async fn pseudonymise_person(
    tx: &mut Tx,
    person_id: Uuid,
    pseudonym: &str,
    date_of_birth: CivilDate,
) -> Result<(), StoreError> {
    let now: Instant = tx.now();
    on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE people SET given_name = '', family_name = $2, date_of_birth = $3, \
             postcode = NULL, pnc_id = NULL, pseudonymised_at = $4 WHERE id = $1",
        )
        .bind(person_id)
        .bind(pseudonym)
        .bind(date_of_birth)
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// Rewrites the identity fields of every arrest linked to the person (automatically or by a
/// clerical decision) the same way; the arrest's date and offence stay for reoffending counts.
pub async fn pseudonymise_linked_arrests(
    tx: &mut Tx,
    person_id: Uuid,
    pseudonym: &str,
    date_of_birth: CivilDate,
) -> Result<u64, StoreError> {
    Ok(on_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE arrests SET given_name = '', surname = $2, dob = $3, postcode = '', pnc_id = '' \
             WHERE id IN (SELECT arrest_id FROM arrest_links WHERE person_id = $1 \
                          UNION SELECT arrest_id FROM clerical_reviews WHERE person_id = $1)",
        )
        .bind(person_id)
        .bind(pseudonym)
        .bind(date_of_birth)
        .execute(conn)
        .await?
        .rows_affected()
    }))
}

/// Deletes arrest-feed rows from before `arrested_before` that never became anyone's record:
/// not linked, not counted as reoffending, not waiting for or confirmed by a clerical review
/// (rejected reviews go with them). Returns the number of arrests deleted.
pub async fn delete_unlinked_arrests(
    tx: &mut Tx,
    arrested_before: CivilDate,
) -> Result<u64, StoreError> {
    const UNLINKED: &str = "arrest_date < $1 \
         AND NOT EXISTS (SELECT 1 FROM arrest_links l WHERE l.arrest_id = arrests.id) \
         AND NOT EXISTS (SELECT 1 FROM reoffending_events r WHERE r.arrest_id = arrests.id)";
    let reviews = format!(
        "DELETE FROM clerical_reviews WHERE status = 'rejected' \
         AND arrest_id IN (SELECT id FROM arrests WHERE {UNLINKED})"
    );
    let arrests = format!(
        "DELETE FROM arrests WHERE {UNLINKED} \
         AND NOT EXISTS (SELECT 1 FROM clerical_reviews c WHERE c.arrest_id = arrests.id)"
    );
    Ok(on_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(reviews))
            .bind(arrested_before)
            .execute(&mut *conn)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(arrests))
            .bind(arrested_before)
            .execute(conn)
            .await?
            .rows_affected()
    }))
}
