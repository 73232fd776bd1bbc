//! Golden cases: worked examples kept beside each policy file, run by `checkpoint policy test`
//! and by this crate's tests. A golden file holds one base referral and cases that each change
//! it with a JSON Merge Patch (RFC 7386) and state the expected outcome and, optionally, the
//! expected verdict of named criteria.
//!
//! ```json
//! { "policy": "durham-checkpoint", "version": 1,
//!   "base": { ...referral... },
//!   "cases": [ { "name": "under 18", "patch": { "person": { "date_of_birth": "2010-01-01" } },
//!                "expect": { "outcome": "ineligible", "verdicts": { "adult": "not_met" } } } ] }
//! ```

use super::Policy;
use super::decision::{Eligibility, Verdict};
use crate::referral::Referral;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Applies an RFC 7386 JSON Merge Patch: objects merge key by key, `null` removes a key, any
/// other value replaces the target wholesale (arrays included).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target_members) = target {
        for (key, value) in patch_members {
            if value.is_null() {
                target_members.remove(key);
            } else {
                merge_patch(
                    target_members.entry(key.clone()).or_insert(Value::Null),
                    value,
                );
            }
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenFile {
    policy: String,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for people reading the file")]
    description: Option<String>,
    base: Value,
    cases: Vec<GoldenCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoldenCase {
    name: String,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for people reading the file")]
    description: Option<String>,
    #[serde(default)]
    patch: Option<Value>,
    expect: Expectation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expectation {
    outcome: Eligibility,
    #[serde(default)]
    verdicts: BTreeMap<String, Verdict>,
}

/// A golden file that could not be read at all (as opposed to a case that fails).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct GoldenError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Why a case did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mismatch", rename_all = "snake_case")]
pub enum Mismatch {
    /// The patched referral is not a valid referral.
    InvalidReferral {
        message: String,
    },
    Outcome {
        expected: Eligibility,
        actual: Eligibility,
    },
    Verdict {
        criterion: String,
        expected: Verdict,
        actual: Verdict,
        observed: String,
    },
    NoSuchCriterion {
        criterion: String,
    },
    /// Not itself an expectation: a criterion that produced the unexpected outcome.
    Cause {
        criterion: String,
        verdict: Verdict,
        observed: String,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::InvalidReferral { message } => {
                write!(f, "the patched referral is invalid: {message}")
            }
            Mismatch::Outcome { expected, actual } => {
                write!(f, "expected outcome {expected}, got {actual}")
            }
            Mismatch::Verdict {
                criterion,
                expected,
                actual,
                observed,
            } => {
                write!(
                    f,
                    "criterion `{criterion}`: expected {expected}, got {actual} ({observed})"
                )
            }
            Mismatch::NoSuchCriterion { criterion } => {
                write!(f, "the policy has no criterion `{criterion}`")
            }
            Mismatch::Cause {
                criterion,
                verdict,
                observed,
            } => {
                write!(
                    f,
                    "because criterion `{criterion}` is {verdict} ({observed})"
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    pub mismatches: Vec<Mismatch>,
    /// The decision's overall outcome, when the referral could be evaluated.
    pub outcome: Option<Eligibility>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoldenReport {
    pub policy_id: String,
    pub policy_version: u32,
    pub cases: Vec<CaseResult>,
}

impl GoldenReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    pub fn all_passed(&self) -> bool {
        self.cases.iter().all(|c| c.passed)
    }
}

impl fmt::Display for GoldenReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for case in &self.cases {
            writeln!(
                f,
                "{} {}",
                if case.passed { "PASS" } else { "FAIL" },
                case.name
            )?;
            for m in &case.mismatches {
                writeln!(f, "     {m}")?;
            }
        }
        write!(
            f,
            "{} v{}: {} passed, {} failed",
            self.policy_id,
            self.policy_version,
            self.passed(),
            self.failed()
        )
    }
}

/// Runs every case in a golden file against `policy`.
pub fn run(
    policy: &Policy,
    golden_source: &str,
    file_name: &str,
) -> Result<GoldenReport, GoldenError> {
    let file: GoldenFile = serde_json::from_str(golden_source).map_err(|e| GoldenError {
        file: file_name.to_owned(),
        line: e.line().max(1),
        column: e.column().max(1),
        message: e
            .to_string()
            .rsplit_once(" at line ")
            .map_or_else(|| e.to_string(), |(m, _)| m.to_owned()),
    })?;
    let whole_file = |message: String| GoldenError {
        file: file_name.to_owned(),
        line: 1,
        column: 1,
        message,
    };
    if file.policy != policy.id() {
        return Err(whole_file(format!(
            "golden cases are for policy `{}`, not `{}`",
            file.policy,
            policy.id()
        )));
    }
    if let Some(version) = file.version
        && version != policy.version()
    {
        return Err(whole_file(format!(
            "golden cases are for version {version} of `{}`, not version {}",
            file.policy,
            policy.version()
        )));
    }

    let cases = file
        .cases
        .iter()
        .map(|case| run_case(policy, &file.base, case))
        .collect();
    Ok(GoldenReport {
        policy_id: policy.id().to_owned(),
        policy_version: policy.version(),
        cases,
    })
}

fn run_case(policy: &Policy, base: &Value, case: &GoldenCase) -> CaseResult {
    let mut document = base.clone();
    if let Some(patch) = &case.patch {
        merge_patch(&mut document, patch);
    }
    let referral = match Referral::from_value(document) {
        Ok(r) => r,
        Err(e) => {
            return CaseResult {
                name: case.name.clone(),
                passed: false,
                mismatches: vec![Mismatch::InvalidReferral {
                    message: e.to_string(),
                }],
                outcome: None,
            };
        }
    };
    let decision = policy.evaluate(&referral);
    let mut mismatches = Vec::new();
    if decision.outcome() != case.expect.outcome {
        mismatches.push(Mismatch::Outcome {
            expected: case.expect.outcome,
            actual: decision.outcome(),
        });
    }
    for (criterion, expected) in &case.expect.verdicts {
        match decision.criteria().find(|c| c.criterion.id == *criterion) {
            None => mismatches.push(Mismatch::NoSuchCriterion {
                criterion: criterion.clone(),
            }),
            Some(report) if report.verdict != *expected => mismatches.push(Mismatch::Verdict {
                criterion: criterion.clone(),
                expected: *expected,
                actual: report.verdict,
                observed: report.evidence.describe(),
            }),
            Some(_) => {}
        }
    }
    // When the outcome is wrong, name the criteria that made it so: that is what a policy
    // author needs to see first.
    if decision.outcome() != case.expect.outcome {
        let cause = match decision.outcome() {
            Eligibility::Ineligible => Some(Verdict::NotMet),
            Eligibility::NeedsInformation => Some(Verdict::Unknown),
            Eligibility::Eligible => None,
        };
        for report in decision.criteria() {
            if Some(report.verdict) == cause
                && !case.expect.verdicts.contains_key(&report.criterion.id)
            {
                mismatches.push(Mismatch::Cause {
                    criterion: report.criterion.id.clone(),
                    verdict: report.verdict,
                    observed: report.evidence.describe(),
                });
            }
        }
    }
    CaseResult {
        name: case.name.clone(),
        passed: mismatches.is_empty(),
        mismatches,
        outcome: Some(decision.outcome()),
    }
}
