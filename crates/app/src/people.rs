//! People: likely duplicates at the custody desk, search, and viewing one person's record.
//!
//! The same person is often typed differently on a second arrest ("Jon Smyth" for "Jonathan
//! Smith", day and month of birth swapped). Before a new person is created the desk is shown
//! the people already known who look like the one being typed, each with a score and the
//! reasons; nothing is ever merged silently (see [`crate::referrals`] for the acknowledgement
//! rule). Every read of personal data here writes a consultation audit row.

use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::{Actor, App};
use checkpoint_domain::person::PersonDetails;
use checkpoint_store::people::{self, PersonRow, PersonSearch};
use checkpoint_store::{Tx, cases};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Why a known person looks like the one being typed (or, for `DifferentPncId`, why not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    SamePncId,
    DifferentPncId,
    SameName,
    NamesSwapped,
    FamilyNameSpeltDifferently,
    GivenNameSpeltDifferently,
    SameDateOfBirth,
    DayAndMonthOfBirthSwapped,
    DateOfBirthOneFieldOff,
}

impl MatchReason {
    pub fn describe(self) -> &'static str {
        match self {
            MatchReason::SamePncId => "same PNC id",
            MatchReason::DifferentPncId => "different PNC id",
            MatchReason::SameName => "same name",
            MatchReason::NamesSwapped => "given and family names swapped",
            MatchReason::FamilyNameSpeltDifferently => "surname spelt differently",
            MatchReason::GivenNameSpeltDifferently => "first name spelt differently",
            MatchReason::SameDateOfBirth => "same date of birth",
            MatchReason::DayAndMonthOfBirthSwapped => "day and month of birth swapped",
            MatchReason::DateOfBirthOneFieldOff => "date of birth differs in one field",
        }
    }

    /// Points towards (or against) "same person", out of 100; names are scored together by
    /// `name_evidence`.
    fn weight(self) -> i32 {
        match self {
            MatchReason::SamePncId => 50,
            MatchReason::DifferentPncId => -30,
            MatchReason::SameName
            | MatchReason::NamesSwapped
            | MatchReason::FamilyNameSpeltDifferently
            | MatchReason::GivenNameSpeltDifferently => 0,
            MatchReason::SameDateOfBirth => 40,
            MatchReason::DayAndMonthOfBirthSwapped => 25,
            MatchReason::DateOfBirthOneFieldOff => 20,
        }
    }
}

/// Score from which a known person is offered as a likely match. Same name with the same
/// date of birth (80), a misspelt surname with the same first name and date of birth (73),
/// or the same name with one field of the date of birth off (60) reach it; a name alone or a
/// date of birth alone (40) does not. A PNC id match is always offered.
pub const LIKELY_MATCH_SCORE: u8 = 60;

/// A person already known who may be the one being typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonMatch {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub pnc_id: Option<String>,
    /// 0–100: how alike the two records are.
    pub score: u8,
    pub reasons: Vec<MatchReason>,
    /// The reasons in words: "same date of birth; surname spelt differently".
    pub explanation: String,
}

/// Letters only, lower case: "O'Brien-Smith" and "obrien smith" compare equal.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Close spelling: Jaro–Winkler at least 0.88 (Smith/Smyth 0.89, Thompson/Thomson 0.97).
fn spelt_alike(a: &str, b: &str) -> bool {
    !a.is_empty() && !b.is_empty() && strsim::jaro_winkler(a, b) >= 0.88
}

/// A short form of the other ("Jon" and "Jonathan"), or a close spelling.
fn given_alike(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    spelt_alike(a, b) || (short.chars().count() >= 3 && long.starts_with(short))
}

/// Points for the names (out of 40) and the reasons: the same name (40) or swapped (40);
/// otherwise the family name counts 25 when the same and 18 when spelt alike, the given name
/// 15 and 8. Both halves must be the same or alike, else the name is no evidence at all.
fn name_evidence(typed: &PersonDetails, known: &PersonDetails) -> (i32, Vec<MatchReason>) {
    let (tf, tg) = (normalise(&typed.family_name), normalise(&typed.given_name));
    let (kf, kg) = (normalise(&known.family_name), normalise(&known.given_name));
    if tf == kf && tg == kg {
        return (40, vec![MatchReason::SameName]);
    }
    if (tf == kg || spelt_alike(&tf, &kg)) && (tg == kf || spelt_alike(&tg, &kf)) {
        return (40, vec![MatchReason::NamesSwapped]);
    }
    let mut reasons = Vec::new();
    let family = if tf == kf {
        25
    } else if spelt_alike(&tf, &kf) {
        reasons.push(MatchReason::FamilyNameSpeltDifferently);
        18
    } else {
        return (0, Vec::new());
    };
    let given = if tg == kg {
        15
    } else if given_alike(&tg, &kg) {
        reasons.push(MatchReason::GivenNameSpeltDifferently);
        8
    } else {
        return (0, Vec::new());
    };
    (family + given, reasons)
}

/// The date-of-birth relation: exact, day and month swapped, or exactly one field different.
fn birth_reason(typed: Date, known: Date) -> Option<MatchReason> {
    if typed == known {
        return Some(MatchReason::SameDateOfBirth);
    }
    if typed.year() == known.year() && typed.day() == known.month() && typed.month() == known.day()
    {
        return Some(MatchReason::DayAndMonthOfBirthSwapped);
    }
    let same = [
        typed.year() == known.year(),
        typed.month() == known.month(),
        typed.day() == known.day(),
    ];
    (same.iter().filter(|s| **s).count() == 2).then_some(MatchReason::DateOfBirthOneFieldOff)
}

fn normalise_pnc(pnc: &str) -> String {
    pnc.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Scores a known person against the typed details; `None` below [`LIKELY_MATCH_SCORE`]
/// unless the PNC id matches.
pub fn score_match(typed: &PersonDetails, known: &PersonDetails) -> Option<(u8, Vec<MatchReason>)> {
    let mut reasons = Vec::new();
    let pnc = match (&typed.pnc_id, &known.pnc_id) {
        (Some(a), Some(b)) if normalise_pnc(a) == normalise_pnc(b) => Some(true),
        (Some(_), Some(_)) => Some(false),
        _ => None,
    };
    match pnc {
        Some(true) => reasons.push(MatchReason::SamePncId),
        Some(false) => reasons.push(MatchReason::DifferentPncId),
        None => {}
    }
    reasons.extend(birth_reason(typed.date_of_birth, known.date_of_birth));
    let (name_points, name_reasons) = name_evidence(typed, known);
    reasons.extend(name_reasons);
    let total: i32 = name_points + reasons.iter().map(|r| r.weight()).sum::<i32>();
    let score = u8::try_from(total.clamp(0, 100)).unwrap_or(0);
    (pnc == Some(true) || score >= LIKELY_MATCH_SCORE).then_some((score, reasons))
}

/// Dates of birth worth looking up for a typed one: itself, day and month swapped, and each
/// field moved by one or by ten (a one-digit slip). Impossible dates are skipped.
pub fn birth_date_variants(date: Date) -> Vec<Date> {
    let (y, m, d) = (date.year(), date.month(), date.day());
    let mut out = vec![date];
    let mut push = |y: i16, m: i8, d: i8| {
        if let Ok(candidate) = Date::new(y, m, d)
            && !out.contains(&candidate)
        {
            out.push(candidate);
        }
    };
    push(y, d, m);
    for step in [-10, -1, 1, 10] {
        push(y + i16::from(step), m, d);
        push(y, m + step, d);
        push(y, m, d + step);
    }
    out
}

/// Lower-case two-letter starts of the family name (as typed and normalised) and of the given
/// name (for swapped names).
fn family_prefixes(typed: &PersonDetails) -> Vec<String> {
    let mut prefixes = Vec::new();
    for source in [
        typed.family_name.trim().to_lowercase(),
        normalise(&typed.family_name),
        normalise(&typed.given_name),
    ] {
        let prefix: String = source.chars().take(2).collect();
        if prefix.chars().count() == 2 && !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }
    prefixes
}

/// Most candidates each lookup brings back for scoring.
const CANDIDATE_LIMIT: i64 = 250;

/// One page of a people search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeoplePage {
    pub people: Vec<PersonSummary>,
    /// Zero-based.
    pub page: u32,
    pub page_size: u32,
    /// Whether a further page exists.
    pub has_more: bool,
    /// How many people match in all.
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonSummary {
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub pnc_id: Option<String>,
}

impl From<&PersonRow> for PersonSummary {
    fn from(row: &PersonRow) -> PersonSummary {
        PersonSummary {
            person_id: row.id,
            given_name: row.given_name.clone(),
            family_name: row.family_name.clone(),
            date_of_birth: row.date_of_birth.get(),
            pnc_id: row.pnc_id.clone(),
        }
    }
}

/// What to search people by; every part given must match. Name is "family" or
/// "given family" (each a start of the name, case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub pnc_id: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<Date>,
}

/// People per search page.
pub const PEOPLE_PAGE_SIZE: u32 = 25;

/// A person's record as the person page shows it, with their cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonView {
    pub person_id: Uuid,
    pub details: PersonDetails,
    pub cases: Vec<PersonCase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonCase {
    pub case_id: Uuid,
    pub reference: String,
    pub scheme_id: String,
    pub state: String,
}

/// A name fragment safe for a LIKE pattern.
fn clean_fragment(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn person_search(query: &PeopleQuery) -> Result<PersonSearch, AppError> {
    let mut search = PersonSearch {
        pnc_id: query
            .pnc_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        date_of_birth: query.date_of_birth,
        ..PersonSearch::default()
    };
    if let Some(name) = query.name.as_deref().filter(|n| !n.trim().is_empty()) {
        let words: Vec<String> = name.split_whitespace().map(clean_fragment).collect();
        let (given, family) = match words.as_slice() {
            [family] => (None, family.clone()),
            [given @ .., family] => (Some(given.join(" ")), family.clone()),
            [] => (None, String::new()),
        };
        if family.chars().count() < 2 {
            return Err(AppError::invalid(
                "name",
                "give at least the first two letters of the family name",
            ));
        }
        search.family_prefix = Some(family);
        search.given_prefix = given.filter(|g| !g.is_empty());
    }
    if search == PersonSearch::default() {
        return Err(AppError::invalid(
            "name",
            "search by name, PNC id or date of birth",
        ));
    }
    Ok(search)
}

impl App {
    /// People already known who may be the person described, best first, with scores and
    /// reasons. Looks only at people sharing a date-of-birth variant, the PNC id or a
    /// family-name start (indexed lookups, not a scan). Audited as a consultation.
    pub async fn find_likely_people(
        &self,
        actor: &Actor,
        person: &PersonDetails,
    ) -> Result<Vec<PersonMatch>, AppError> {
        authorise(actor, Action::CreateReferral)?;
        let mut tx = self.begin().await?;
        let matches = self.likely_people_in(&mut tx, actor, person, None).await?;
        tx.commit().await?;
        Ok(matches)
    }

    /// The duplicate check inside a transaction (shared with referral creation). `except` is
    /// a person to leave out (the one the referral is for). Writes the consultation rows.
    pub(crate) async fn likely_people_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        person: &PersonDetails,
        except: Option<Uuid>,
    ) -> Result<Vec<PersonMatch>, AppError> {
        let matches = self.likely_matches_unaudited(tx, person, except).await?;
        self.audit_matches_shown(tx, actor, &matches).await?;
        Ok(matches)
    }

    /// The likely matches without their audit rows: for a read snapshot taken before a write
    /// transaction, so the candidate queries do not hold SQLite's single writer lock. The
    /// caller must write [`App::audit_matches_shown`] in the transaction that shows them.
    pub(crate) async fn likely_matches_unaudited(
        &self,
        tx: &mut Tx,
        person: &PersonDetails,
        except: Option<Uuid>,
    ) -> Result<Vec<PersonMatch>, AppError> {
        let dates = birth_date_variants(person.date_of_birth);
        let pnc = person
            .pnc_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let mut candidates: BTreeMap<Uuid, PersonRow> = BTreeMap::new();
        let by_birth_or_pnc =
            people::likely_candidates(tx, &dates, pnc, &[], CANDIDATE_LIMIT).await?;
        let by_name =
            people::likely_candidates(tx, &[], None, &family_prefixes(person), CANDIDATE_LIMIT)
                .await?;
        for row in by_birth_or_pnc.into_iter().chain(by_name) {
            candidates.insert(row.id, row);
        }
        let mut matches = Vec::new();
        for row in candidates.values() {
            if Some(row.id) == except {
                continue;
            }
            let known = row.details()?;
            if let Some((score, reasons)) = score_match(person, &known) {
                let explanation = reasons
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
                    .join("; ");
                matches.push(PersonMatch {
                    person_id: row.id,
                    given_name: row.given_name.clone(),
                    family_name: row.family_name.clone(),
                    date_of_birth: row.date_of_birth.get(),
                    pnc_id: row.pnc_id.clone(),
                    score,
                    reasons,
                    explanation,
                });
            }
        }
        matches.sort_by(|a, b| b.score.cmp(&a.score).then(a.person_id.cmp(&b.person_id)));
        Ok(matches)
    }

    /// One consultation audit row per likely match shown to the actor.
    pub(crate) async fn audit_matches_shown(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        matches: &[PersonMatch],
    ) -> Result<(), AppError> {
        for m in matches {
            self.audit_consultation(
                tx,
                actor,
                "person",
                m.person_id,
                "shown as a likely duplicate during a custody referral",
            )
            .await?;
        }
        Ok(())
    }

    /// A page of people matching the query (name start, PNC id, date of birth), by name.
    /// Audited as a consultation carrying the search terms.
    pub async fn search_people(
        &self,
        actor: &Actor,
        query: &PeopleQuery,
        page: u32,
    ) -> Result<PeoplePage, AppError> {
        authorise(actor, Action::SearchPeople)?;
        let search = person_search(query)?;
        let size = i64::from(PEOPLE_PAGE_SIZE);
        let offset = i64::from(page) * size;
        let mut tx = self.begin().await?;
        // One extra row says whether another page exists without counting every match.
        let mut rows = people::search(&mut tx, &search, size + 1, offset).await?;
        let has_more = rows.len() as i64 > size;
        rows.truncate(PEOPLE_PAGE_SIZE as usize);
        let total = if page == 0 && !has_more {
            rows.len() as u64
        } else {
            u64::try_from(people::count_search(&mut tx, &search).await?).unwrap_or(0)
        };
        let terms = serde_json::json!({
            "name": query.name,
            "pnc_id": query.pnc_id,
            "date_of_birth": query.date_of_birth.map(|d| d.to_string()),
            "page": page,
            "results": rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>(),
        });
        checkpoint_store::audit::append(
            &mut tx,
            checkpoint_store::AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                checkpoint_store::AuditAction::Consultation,
                "person_search",
                "people",
            )
            .with_justification("people search")
            .with_details(terms),
        )
        .await?;
        tx.commit().await?;
        Ok(PeoplePage {
            people: rows.iter().map(PersonSummary::from).collect(),
            page,
            page_size: PEOPLE_PAGE_SIZE,
            has_more,
            total,
        })
    }

    /// One person's record and cases. The justification (why the actor is looking) is
    /// required and goes into the consultation audit row (DPA 2018 s.62).
    pub async fn view_person(
        &self,
        actor: &Actor,
        person_id: Uuid,
        justification: &str,
    ) -> Result<PersonView, AppError> {
        authorise(actor, Action::ViewPerson)?;
        let justification = justification.trim();
        if justification.is_empty() {
            return Err(AppError::invalid(
                "justification",
                "say why you are looking at this record",
            ));
        }
        let mut tx = self.begin_read().await?;
        let row = people::get(&mut tx, person_id).await?;
        let mut person_cases = cases::for_person(&mut tx, person_id).await?;
        // Navigators see a person only through a case in their scope, and only those cases.
        if actor.role == crate::Role::Navigator {
            person_cases.retain(|c| {
                crate::permissions::authorise_case(
                    actor,
                    Action::ViewPerson,
                    crate::case_ops::scope_of(c),
                )
                .is_ok()
            });
            if person_cases.is_empty() {
                return Err(AppError::NotFound { what: "person" });
            }
        }
        tx.commit().await?;
        self.record_consultation(actor, "person", person_id, justification)
            .await?;
        Ok(PersonView {
            person_id,
            details: row.details()?,
            cases: person_cases
                .iter()
                .map(|c| PersonCase {
                    case_id: c.id,
                    reference: c.reference.clone(),
                    scheme_id: c.scheme_id.clone(),
                    state: c.state.clone(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use checkpoint_domain::person::Sex;
    use jiff::civil::date;

    fn person(given: &str, family: &str, born: Date) -> PersonDetails {
        PersonDetails {
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            date_of_birth: born,
            sex: Sex::Male,
            ethnicity_self_defined: None,
            ethnicity_officer_observed: None,
            postcode: None,
            pnc_id: None,
            resides_in_force_area: None,
        }
    }

    #[test]
    fn the_same_person_typed_differently_is_offered_with_reasons() {
        let known = person("Jonathan", "Smith", date(1990, 4, 7));
        let typed = person("Jonathan", "Smyth", date(1990, 4, 7));
        let (score, reasons) = score_match(&typed, &known).unwrap();
        assert!(score >= LIKELY_MATCH_SCORE);
        assert_eq!(
            reasons,
            [
                MatchReason::SameDateOfBirth,
                MatchReason::FamilyNameSpeltDifferently
            ]
        );
        let swapped = person("Smith", "Jonathan", date(1990, 7, 4));
        let (_, reasons) = score_match(&swapped, &known).unwrap();
        assert!(reasons.contains(&MatchReason::NamesSwapped));
        assert!(reasons.contains(&MatchReason::DayAndMonthOfBirthSwapped));
        let nickname = person("Jon", "Smith", date(1990, 4, 7));
        assert!(score_match(&nickname, &known).is_some());
    }

    #[test]
    fn a_name_alone_or_a_birthday_alone_is_not_a_match() {
        let known = person("Jonathan", "Smith", date(1990, 4, 7));
        assert!(score_match(&person("Jonathan", "Smith", date(1975, 11, 20)), &known).is_none());
        assert!(score_match(&person("Mary", "Jones", date(1990, 4, 7)), &known).is_none());
        assert!(score_match(&person("Mary", "Smith", date(1990, 4, 7)), &known).is_none());
    }

    #[test]
    fn a_pnc_id_match_is_always_offered_and_a_different_one_counts_against() {
        let mut known = person("Jonathan", "Smith", date(1990, 4, 7));
        known.pnc_id = Some("12/345678A".to_owned());
        let mut typed = person("John", "Brown", date(1985, 1, 1));
        typed.pnc_id = Some("12/345678a".to_owned());
        let (_, reasons) = score_match(&typed, &known).unwrap();
        assert_eq!(reasons, [MatchReason::SamePncId]);
        let mut other = person("Jonathan", "Smith", date(1990, 4, 7));
        other.pnc_id = Some("99/999999Z".to_owned());
        let (score, _) = score_match(&other, &known).map_or((0, vec![]), |m| m);
        assert!(score < 80);
    }

    #[test]
    fn birth_date_variants_cover_swaps_and_one_digit_slips() {
        let variants = birth_date_variants(date(1990, 4, 7));
        for expected in [
            date(1990, 4, 7),
            date(1990, 7, 4),
            date(1991, 4, 7),
            date(1980, 4, 7),
            date(1990, 5, 7),
            date(1990, 4, 17),
        ] {
            assert!(variants.contains(&expected), "{expected}");
        }
        // 31 January: no 31 February, no month 0.
        assert!(birth_date_variants(date(1990, 1, 31)).len() < 14);
    }
}
