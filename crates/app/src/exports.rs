//! Exports: case-level data leaving the system. Each is a *disclosure* under DPA 2018 s.62,
//! logged with its justification and recipient in the same breath as the data is read.
//!
//! - [`App::export_cases`]: a pseudonymised case-level extract for analysts. No names, no date
//!   of birth (year of birth and age band only), no PNC id, no case reference, postcode cut to
//!   its district (the outward code). People and cases are named by keyed pseudonyms:
//!   `HMAC-SHA256(key, "person:" ‖ person UUID)` (and `"case:" ‖ case UUID`), hex, first 16
//!   characters (64 bits; the chance of any collision among a million people is about 3 in
//!   100 million). The same key gives the same pseudonyms in every export, so extracts can be
//!   joined over time; a different key gives unrelated ones, and without the key the
//!   pseudonyms cannot be reversed or recomputed from a name.
//! - [`App::export_jdl`]: the Justice Data Lab participant file (surname, forename, date of
//!   birth, gender, index date; domain.md §8). It carries identifiers because the MoJ matches
//!   it to the PNC, so it is for the Justice Data Lab only: supervisors alone may make it
//!   (analysts see pseudonymised data only, design.md §7), with an explicit justification.

use crate::App;
use crate::actor::{Actor, Role};
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::reports::{CostSettings, ReferralDetail, ReportQuery};
use checkpoint_evaluation::records::{CaseRecord, Ending, FunnelStage};
use checkpoint_store::reporting::{self, CaseFacts};
use checkpoint_store::{AuditAction, AuditEntry, audit};
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The shortest export key accepted: 32 bytes, the HMAC-SHA256 block's security level.
pub const MINIMUM_KEY_BYTES: usize = 32;

/// The recipient recorded for the Justice Data Lab file unless another is given.
pub const JDL_RECIPIENT: &str = "Ministry of Justice, Justice Data Lab";

/// A secret that keys pseudonyms. Not `Debug`-printable.
pub struct ExportKey(Vec<u8>);

impl std::fmt::Debug for ExportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExportKey({})", self.fingerprint())
    }
}

impl ExportKey {
    /// A key from a key file's contents (a trailing newline is ignored).
    pub fn new(bytes: &[u8]) -> Result<ExportKey, AppError> {
        let trimmed = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed.len() < MINIMUM_KEY_BYTES {
            return Err(AppError::invalid(
                "key_file",
                format!(
                    "the key has {} bytes; use at least {MINIMUM_KEY_BYTES} random bytes (e.g. `head -c 32 /dev/urandom | base64 > export.key`)",
                    trimmed.len()
                ),
            ));
        }
        Ok(ExportKey(trimmed.to_vec()))
    }

    /// Which key was used, for the audit log: SHA-256 of a label and the key, 12 hex
    /// characters. It identifies the key without helping anyone recompute pseudonyms.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"checkpoint export key fingerprint\n");
        hasher.update(&self.0);
        hex::encode(hasher.finalize())[..12].to_owned()
    }

    /// `HMAC-SHA256(key, label ‖ ":" ‖ id)` as hex, first 16 characters.
    pub fn pseudonym(&self, label: &str, id: Uuid) -> String {
        let message = format!("{label}:{}", id.hyphenated());
        hex::encode(hmac_sha256(&self.0, message.as_bytes()))[..16].to_owned()
    }
}

/// HMAC (RFC 2104) over SHA-256: `H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))`, with keys longer than
/// the 64-byte block hashed first. Written out rather than pulling a second `digest` version
/// into the build; checked against RFC 4231's test vectors below.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block_key.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block_key.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

/// Why and to whom data is disclosed (s.62(2)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub justification: String,
    pub recipient: Option<String>,
}

impl Disclosure {
    fn check(&self) -> Result<(), AppError> {
        if self.justification.trim().chars().count() < 10 {
            return Err(AppError::invalid(
                "justification",
                "say why this data is being disclosed (at least 10 characters)",
            ));
        }
        Ok(())
    }
}

/// One case in the pseudonymised extract. Every field is safe to hand to an analyst.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PseudonymisedCase {
    pub person_pseudonym: String,
    pub case_pseudonym: String,
    pub scheme: String,
    /// `YYYY-MM`.
    pub referral_month: String,
    pub year_of_birth: i16,
    pub age_band: String,
    pub sex: String,
    pub ethnicity_self_defined: Option<String>,
    pub ethnicity_officer_observed: Option<String>,
    /// The outward code only (`DH1`), never the full postcode.
    pub postcode_district: Option<String>,
    /// On the PNC, from the referral the latest screening saw.
    pub previous_convictions: Option<u32>,
    /// The advisory risk band on that referral (`low`, `moderate`, `high`), if scored.
    pub risk_band: Option<String>,
    pub funnel_stage: String,
    pub ending: Option<String>,
    pub ineligibility_reason: Option<String>,
    pub outcome_code: Option<u8>,
    pub trial_arm: Option<String>,
    pub index_date: Option<Date>,
    pub contract_end: Option<Date>,
    /// The last day new arrests are recorded for the case (end of its follow-up window);
    /// empty while the case is open.
    pub monitored_until: Option<Date>,
    /// Reoffending events (linked arrests after the index offence; see the reports).
    pub rearrests: u32,
    pub first_rearrest: Option<Date>,
    pub appointments_attended: i64,
    pub prosecuted: bool,
}

/// The column names of [`PseudonymisedCase`], in order.
pub const PSEUDONYMISED_COLUMNS: [&str; 24] = [
    "person_pseudonym",
    "case_pseudonym",
    "scheme",
    "referral_month",
    "year_of_birth",
    "age_band",
    "sex",
    "ethnicity_self_defined",
    "ethnicity_officer_observed",
    "postcode_district",
    "previous_convictions",
    "risk_band",
    "funnel_stage",
    "ending",
    "ineligibility_reason",
    "outcome_code",
    "trial_arm",
    "index_date",
    "contract_end",
    "monitored_until",
    "rearrests",
    "first_rearrest",
    "appointments_attended",
    "prosecuted",
];

impl PseudonymisedCase {
    /// The row as text fields in [`PSEUDONYMISED_COLUMNS`] order (empty for missing).
    pub fn fields(&self) -> Vec<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |v: Option<Date>| v.map(|d| d.to_string()).unwrap_or_default();
        vec![
            self.person_pseudonym.clone(),
            self.case_pseudonym.clone(),
            self.scheme.clone(),
            self.referral_month.clone(),
            self.year_of_birth.to_string(),
            self.age_band.clone(),
            self.sex.clone(),
            opt(&self.ethnicity_self_defined),
            opt(&self.ethnicity_officer_observed),
            opt(&self.postcode_district),
            self.previous_convictions
                .map(|n| n.to_string())
                .unwrap_or_default(),
            opt(&self.risk_band),
            self.funnel_stage.clone(),
            opt(&self.ending),
            opt(&self.ineligibility_reason),
            self.outcome_code.map(|c| c.to_string()).unwrap_or_default(),
            opt(&self.trial_arm),
            date(self.index_date),
            date(self.contract_end),
            date(self.monitored_until),
            self.rearrests.to_string(),
            date(self.first_rearrest),
            self.appointments_attended.to_string(),
            self.prosecuted.to_string(),
        ]
    }
}

/// The postcode district: the outward code, the part before the space (or all but the last
/// three characters when written without one). `None` for anything that does not look like a
/// UK postcode, rather than risk passing on more than the district.
pub fn postcode_district(postcode: &str) -> Option<String> {
    let compact: String = postcode
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if !(5..=7).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let outward = &compact[..compact.len() - 3];
    outward
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        .then(|| outward.to_owned())
}

fn snake<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => other.map(|v| v.to_string()).unwrap_or_default(),
    }
}

fn pseudonymise(key: &ExportKey, facts: &CaseFacts, record: &CaseRecord) -> PseudonymisedCase {
    let stage = match record.position.stage {
        FunnelStage::Referred => "referred",
        FunnelStage::Eligible => "eligible",
        FunnelStage::Offered => "offered",
        FunnelStage::Accepted => "accepted",
    };
    let ending = record.position.ending.map(|e| {
        match e {
            Ending::Ineligible => "ineligible",
            Ending::Declined => "declined",
            Ending::Completed => "completed",
            Ending::Failed => "failed",
            Ending::Withdrawn => "withdrawn",
        }
        .to_owned()
    });
    PseudonymisedCase {
        person_pseudonym: key.pseudonym("person", facts.person_id),
        case_pseudonym: key.pseudonym("case", facts.case_id),
        scheme: record.scheme.to_string(),
        referral_month: record.referral_month.to_string(),
        year_of_birth: facts.date_of_birth.get().year(),
        age_band: record.age_band.label().to_owned(),
        sex: snake(&record.sex),
        ethnicity_self_defined: record.ethnicity_self_defined.map(|e| e.code().to_owned()),
        ethnicity_officer_observed: record.ethnicity_officer_observed.as_ref().map(snake),
        postcode_district: facts.postcode.as_deref().and_then(postcode_district),
        previous_convictions: record.previous_convictions,
        risk_band: record.risk_band.as_deref().map(str::to_owned),
        funnel_stage: stage.to_owned(),
        ending,
        ineligibility_reason: record.ineligibility_reason.as_deref().map(str::to_owned),
        outcome_code: record.outcome_code.map(|c| c.get()),
        trial_arm: record.trial_arm.map(|a| a.as_str().to_owned()),
        index_date: record.index_date,
        contract_end: record.contract_end,
        monitored_until: record.monitored_until,
        rearrests: u32::try_from(record.reoffences.len()).unwrap_or(u32::MAX),
        first_rearrest: record.reoffences.iter().map(|r| r.offence_date).min(),
        appointments_attended: facts.appointments_attended,
        prosecuted: record.resources.prosecutions > 0,
    }
}

/// The pseudonymised extract and what was logged.
#[derive(Debug, Clone)]
pub struct CaseExport {
    pub rows: Vec<PseudonymisedCase>,
    pub key_fingerprint: String,
}

impl CaseExport {
    /// RFC 4180 CSV with a header row.
    pub fn to_csv(&self) -> String {
        let mut out = csv_row(PSEUDONYMISED_COLUMNS.iter().map(|c| (*c).to_owned()));
        for row in &self.rows {
            out.push_str(&csv_row(row.fields()));
        }
        out
    }
}

fn csv_row(fields: impl IntoIterator<Item = String>) -> String {
    let mut line = fields
        .into_iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// One participant in the Justice Data Lab file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JdlRow {
    pub surname: String,
    pub forename: String,
    pub date_of_birth: Date,
    /// `M`, `F` or `U`, as the JDL form asks.
    pub gender: &'static str,
    pub index_date: Date,
}

/// The Justice Data Lab file's columns.
pub const JDL_COLUMNS: [&str; 5] = [
    "surname",
    "forename",
    "date_of_birth",
    "gender",
    "index_date",
];

/// The JDL file as CSV.
pub fn jdl_csv(rows: &[JdlRow]) -> String {
    let mut out = csv_row(JDL_COLUMNS.iter().map(|c| (*c).to_owned()));
    for row in rows {
        out.push_str(&csv_row([
            row.surname.clone(),
            row.forename.clone(),
            row.date_of_birth.to_string(),
            row.gender.to_owned(),
            row.index_date.to_string(),
        ]));
    }
    out
}

impl App {
    fn log_disclosure(
        &self,
        actor: &Actor,
        subject: String,
        disclosure: &Disclosure,
        details: serde_json::Value,
    ) -> AuditEntry {
        let mut details = details;
        details["recipient"] = serde_json::json!(disclosure.recipient);
        AuditEntry::new(
            Some(actor.user_id),
            actor.audit_name(),
            AuditAction::Disclosure,
            "export",
            subject,
        )
        .with_justification(disclosure.justification.trim())
        .with_details(details)
    }

    /// The pseudonymised case-level extract (see the module docs). Authorised
    /// `ExportPseudonymised`; logged as a disclosure with the justification, the recipient,
    /// the row count and the key's fingerprint, committed before the rows are returned.
    pub async fn export_cases(
        &self,
        actor: &Actor,
        query: &ReportQuery,
        key: &ExportKey,
        disclosure: &Disclosure,
    ) -> Result<CaseExport, AppError> {
        authorise(actor, Action::ExportPseudonymised)?;
        disclosure.check()?;
        let extracted = self
            .extract_records(query, &CostSettings::default(), ReferralDetail::All)
            .await?;
        let rows: Vec<PseudonymisedCase> = extracted
            .facts
            .iter()
            .zip(&extracted.records)
            .map(|(facts, record)| pseudonymise(key, facts, record))
            .collect();
        let mut tx = self.begin().await?;
        audit::append(
            &mut tx,
            self.log_disclosure(
                actor,
                format!("pseudonymised cases: {}", query.describe()),
                disclosure,
                serde_json::json!({
                    "export": "cases",
                    "query": query,
                    "rows": rows.len(),
                    "key_fingerprint": key.fingerprint(),
                    "columns": PSEUDONYMISED_COLUMNS,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(CaseExport {
            rows,
            key_fingerprint: key.fingerprint(),
        })
    }

    /// The Justice Data Lab participant file: everyone in the selection who took part (a
    /// contract started, or accepted outside a trial's control arm) and has an index date.
    /// Supervisors only; logged as a disclosure to the JDL (or the recipient given).
    pub async fn export_jdl(
        &self,
        actor: &Actor,
        query: &ReportQuery,
        disclosure: &Disclosure,
    ) -> Result<Vec<JdlRow>, AppError> {
        authorise(actor, Action::ExportPseudonymised)?;
        if actor.role != Role::Supervisor {
            // Identifiers leave the system: more than a pseudonymised extract, so more than
            // an analyst's authority (design.md §7: analysts see pseudonymised data only).
            return Err(AppError::Forbidden {
                action: Action::ExportPseudonymised,
            });
        }
        disclosure.check()?;
        let selection = query.selection()?;
        let mut tx = self.begin_read().await?;
        let extracted = crate::reports::extract(
            &mut tx,
            &selection,
            &CostSettings::default(),
            ReferralDetail::None,
        )
        .await?;
        let identities = reporting::identities(&mut tx, &selection).await?;
        tx.rollback().await?;
        let by_case: std::collections::HashMap<Uuid, &reporting::Identity> =
            identities.iter().map(|i| (i.case_id, i)).collect();
        let rows: Vec<JdlRow> = extracted
            .facts
            .iter()
            .zip(&extracted.records)
            .filter(|(_, r)| {
                r.position.stage == FunnelStage::Accepted
                    && r.trial_arm != Some(checkpoint_domain::lifecycle::TrialArm::Control)
            })
            .filter_map(|(f, r)| {
                let who = by_case.get(&f.case_id)?;
                Some(JdlRow {
                    surname: who.family_name.clone(),
                    forename: who.given_name.clone(),
                    date_of_birth: who.date_of_birth.get(),
                    gender: match who.sex.as_str() {
                        "male" => "M",
                        "female" => "F",
                        _ => "U",
                    },
                    index_date: r.index_date?,
                })
            })
            .collect();
        let disclosure = Disclosure {
            recipient: Some(
                disclosure
                    .recipient
                    .clone()
                    .unwrap_or_else(|| JDL_RECIPIENT.to_owned()),
            ),
            ..disclosure.clone()
        };
        let mut tx = self.begin().await?;
        audit::append(
            &mut tx,
            self.log_disclosure(
                actor,
                format!("justice data lab file: {}", query.describe()),
                &disclosure,
                serde_json::json!({
                    "export": "jdl",
                    "query": query,
                    "rows": rows.len(),
                    "columns": JDL_COLUMNS,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a 131-byte key, hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn postcode_is_cut_to_its_district() {
        assert_eq!(postcode_district("DH1 3LE").as_deref(), Some("DH1"));
        assert_eq!(postcode_district("sw1a1aa").as_deref(), Some("SW1A"));
        assert_eq!(postcode_district("M1 1AE").as_deref(), Some("M1"));
        assert_eq!(postcode_district("not a postcode"), None);
        assert_eq!(postcode_district(""), None);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(ExportKey::new(b"short\n").is_err());
        let key = ExportKey::new(&[7u8; 32]).expect("key");
        let id = Uuid::nil();
        assert_eq!(key.pseudonym("person", id).len(), 16);
        assert_ne!(key.pseudonym("person", id), key.pseudonym("case", id));
    }
}
