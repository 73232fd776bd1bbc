//! The life of a case, from custody referral to disposal, as a state machine.
//!
//! ```text
//! referred ─screen─▶ eligible | ineligible | needs_information (─screen─▶ again)
//! eligible ─allocate(control)─▶ control            (trial mode: usual process, follow-up only)
//! eligible ─allocate(treatment)─▶ treatment ─offer─▶ offered
//! eligible ─offer─▶ offered ─decline─▶ declined    (usual process)
//! offered ─accept─▶ accepted ─assess_needs─▶ needs_assessed ─sign_contract─▶ contract_signed
//! contract_signed ─start─▶ active ⟲ vary_contract, assess_needs
//! active ─open_review─▶ non_compliance_review ─resume─▶ active
//!                                             ─fail─▶ failed
//! accepted … non_compliance_review ─withdraw─▶ withdrawn
//! failed | withdrawn ─refer_for_prosecution─▶ prosecution_referred
//! failed | withdrawn ─expire_time_limit─▶ time_limit_expired   (Home Office outcome 17)
//! active ─complete─▶ completed
//! completed | control | declined | prosecution_referred | time_limit_expired ─begin_follow_up─▶ follow_up
//! follow_up | ineligible ─begin_retention_review─▶ retention_review ─dispose─▶ disposed
//! ```
//!
//! Every transition becomes an event row (who, when, why, policy version); the current state is
//! the fold of the events, and [`replay`] recomputes it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Referred,
    Eligible,
    Ineligible,
    NeedsInformation,
    Control,
    Treatment,
    Offered,
    Declined,
    Accepted,
    NeedsAssessed,
    ContractSigned,
    Active,
    NonComplianceReview,
    Failed,
    Withdrawn,
    ProsecutionReferred,
    TimeLimitExpired,
    Completed,
    FollowUp,
    RetentionReview,
    Disposed,
}

impl CaseState {
    pub const ALL: [CaseState; 21] = [
        CaseState::Referred,
        CaseState::Eligible,
        CaseState::Ineligible,
        CaseState::NeedsInformation,
        CaseState::Control,
        CaseState::Treatment,
        CaseState::Offered,
        CaseState::Declined,
        CaseState::Accepted,
        CaseState::NeedsAssessed,
        CaseState::ContractSigned,
        CaseState::Active,
        CaseState::NonComplianceReview,
        CaseState::Failed,
        CaseState::Withdrawn,
        CaseState::ProsecutionReferred,
        CaseState::TimeLimitExpired,
        CaseState::Completed,
        CaseState::FollowUp,
        CaseState::RetentionReview,
        CaseState::Disposed,
    ];

    pub fn as_str(self) -> &'static str {
        use CaseState::*;
        match self {
            Referred => "referred",
            Eligible => "eligible",
            Ineligible => "ineligible",
            NeedsInformation => "needs_information",
            Control => "control",
            Treatment => "treatment",
            Offered => "offered",
            Declined => "declined",
            Accepted => "accepted",
            NeedsAssessed => "needs_assessed",
            ContractSigned => "contract_signed",
            Active => "active",
            NonComplianceReview => "non_compliance_review",
            Failed => "failed",
            Withdrawn => "withdrawn",
            ProsecutionReferred => "prosecution_referred",
            TimeLimitExpired => "time_limit_expired",
            Completed => "completed",
            FollowUp => "follow_up",
            RetentionReview => "retention_review",
            Disposed => "disposed",
        }
    }

    /// Words for a page header.
    pub fn label(self) -> &'static str {
        use CaseState::*;
        match self {
            Referred => "Referred",
            Eligible => "Eligible",
            Ineligible => "Ineligible",
            NeedsInformation => "Needs information",
            Control => "Trial control",
            Treatment => "Trial treatment",
            Offered => "Offered",
            Declined => "Declined",
            Accepted => "Accepted",
            NeedsAssessed => "Needs assessed",
            ContractSigned => "Contract signed",
            Active => "Active",
            NonComplianceReview => "Non-compliance review",
            Failed => "Failed",
            Withdrawn => "Withdrawn",
            ProsecutionReferred => "Referred for prosecution",
            TimeLimitExpired => "Closed: time limit expired (Outcome 17)",
            Completed => "Completed",
            FollowUp => "Follow-up",
            RetentionReview => "Retention review",
            Disposed => "Disposed",
        }
    }

    /// The participant is on a contract (or about to be) and a navigator works the case.
    pub fn is_on_programme(self) -> bool {
        use CaseState::*;
        matches!(
            self,
            Accepted | NeedsAssessed | ContractSigned | Active | NonComplianceReview
        )
    }

    /// The programme has finished with this case; only follow-up and retention remain.
    pub fn is_closed(self) -> bool {
        use CaseState::*;
        matches!(
            self,
            Ineligible
                | Control
                | Declined
                | ProsecutionReferred
                | TimeLimitExpired
                | Completed
                | FollowUp
                | RetentionReview
                | Disposed
        )
    }

    /// The transitions this state accepts, in the order a user would usually take them.
    pub fn allowed(self) -> &'static [TransitionKind] {
        use CaseState::*;
        use TransitionKind as T;
        match self {
            Referred | NeedsInformation => &[T::Screen],
            Eligible => &[T::Offer, T::Allocate],
            Treatment => &[T::Offer],
            Offered => &[T::Accept, T::Decline],
            Accepted => &[T::AssessNeeds, T::Withdraw],
            NeedsAssessed => &[T::SignContract, T::AssessNeeds, T::Withdraw],
            ContractSigned => &[T::Start, T::Withdraw],
            Active => &[
                T::Complete,
                T::OpenReview,
                T::VaryContract,
                T::AssessNeeds,
                T::Withdraw,
            ],
            NonComplianceReview => &[T::Resume, T::Fail, T::Withdraw],
            Failed | Withdrawn => &[T::ReferForProsecution, T::ExpireTimeLimit],
            Completed | Control | Declined | ProsecutionReferred | TimeLimitExpired => {
                &[T::BeginFollowUp]
            }
            FollowUp | Ineligible => &[T::BeginRetentionReview],
            RetentionReview => &[T::Dispose],
            Disposed => &[],
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a case state")]
pub struct UnknownCaseState(pub String);

impl FromStr for CaseState {
    type Err = UnknownCaseState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownCaseState(s.to_owned()))
    }
}

/// The screening decision a person recorded (the policy's verdict is advice to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningOutcome {
    Eligible,
    Ineligible,
    NeedsInformation,
}

/// Trial arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialArm {
    Treatment,
    Control,
}

impl TrialArm {
    pub fn as_str(self) -> &'static str {
        match self {
            TrialArm::Treatment => "treatment",
            TrialArm::Control => "control",
        }
    }
}

/// A requested change of state. Only screening and allocation carry data that decides the
/// next state; everything else a transition records (reasons, outcome codes) lives on the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "transition", rename_all = "snake_case")]
pub enum Transition {
    Screen { outcome: ScreeningOutcome },
    Allocate { arm: TrialArm },
    Offer,
    Accept,
    Decline,
    AssessNeeds,
    SignContract,
    Start,
    VaryContract,
    OpenReview,
    Resume,
    Fail,
    Withdraw,
    ReferForProsecution,
    ExpireTimeLimit,
    Complete,
    BeginFollowUp,
    BeginRetentionReview,
    Dispose,
}

/// A transition without its data: what a state allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    Screen,
    Allocate,
    Offer,
    Accept,
    Decline,
    AssessNeeds,
    SignContract,
    Start,
    VaryContract,
    OpenReview,
    Resume,
    Fail,
    Withdraw,
    ReferForProsecution,
    ExpireTimeLimit,
    Complete,
    BeginFollowUp,
    BeginRetentionReview,
    Dispose,
}

impl TransitionKind {
    pub fn as_str(self) -> &'static str {
        use TransitionKind::*;
        match self {
            Screen => "screen",
            Allocate => "allocate",
            Offer => "offer",
            Accept => "accept",
            Decline => "decline",
            AssessNeeds => "assess_needs",
            SignContract => "sign_contract",
            Start => "start",
            VaryContract => "vary_contract",
            OpenReview => "open_review",
            Resume => "resume",
            Fail => "fail",
            Withdraw => "withdraw",
            ReferForProsecution => "refer_for_prosecution",
            ExpireTimeLimit => "expire_time_limit",
            Complete => "complete",
            BeginFollowUp => "begin_follow_up",
            BeginRetentionReview => "begin_retention_review",
            Dispose => "dispose",
        }
    }
}

impl fmt::Display for TransitionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Transition {
    pub fn kind(self) -> TransitionKind {
        use TransitionKind as K;
        match self {
            Transition::Screen { .. } => K::Screen,
            Transition::Allocate { .. } => K::Allocate,
            Transition::Offer => K::Offer,
            Transition::Accept => K::Accept,
            Transition::Decline => K::Decline,
            Transition::AssessNeeds => K::AssessNeeds,
            Transition::SignContract => K::SignContract,
            Transition::Start => K::Start,
            Transition::VaryContract => K::VaryContract,
            Transition::OpenReview => K::OpenReview,
            Transition::Resume => K::Resume,
            Transition::Fail => K::Fail,
            Transition::Withdraw => K::Withdraw,
            Transition::ReferForProsecution => K::ReferForProsecution,
            Transition::ExpireTimeLimit => K::ExpireTimeLimit,
            Transition::Complete => K::Complete,
            Transition::BeginFollowUp => K::BeginFollowUp,
            Transition::BeginRetentionReview => K::BeginRetentionReview,
            Transition::Dispose => K::Dispose,
        }
    }
}

/// A transition the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("a case that is {} cannot {}; allowed now: {}", .from.label().to_lowercase(), .transition, allowed_list(.from))]
pub struct IllegalTransition {
    pub from: CaseState,
    pub transition: TransitionKind,
}

fn allowed_list(state: &CaseState) -> String {
    let allowed = state.allowed();
    if allowed.is_empty() {
        "nothing (the case is disposed)".to_owned()
    } else {
        allowed
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The state a transition leads to, or why it is not allowed.
pub fn next_state(from: CaseState, transition: Transition) -> Result<CaseState, IllegalTransition> {
    use CaseState::*;
    use Transition as T;
    let illegal = || IllegalTransition {
        from,
        transition: transition.kind(),
    };
    let to = match (from, transition) {
        (Referred | NeedsInformation, T::Screen { outcome }) => match outcome {
            ScreeningOutcome::Eligible => Eligible,
            ScreeningOutcome::Ineligible => Ineligible,
            ScreeningOutcome::NeedsInformation => NeedsInformation,
        },
        (
            Eligible,
            T::Allocate {
                arm: TrialArm::Control,
            },
        ) => Control,
        (
            Eligible,
            T::Allocate {
                arm: TrialArm::Treatment,
            },
        ) => Treatment,
        (Eligible | Treatment, T::Offer) => Offered,
        (Offered, T::Accept) => Accepted,
        (Offered, T::Decline) => Declined,
        (Accepted, T::AssessNeeds) => NeedsAssessed,
        (NeedsAssessed | Active, T::AssessNeeds) => from,
        (NeedsAssessed, T::SignContract) => ContractSigned,
        (ContractSigned, T::Start) => Active,
        (Active, T::VaryContract) => Active,
        (Active, T::OpenReview) => NonComplianceReview,
        (NonComplianceReview, T::Resume) => Active,
        (NonComplianceReview, T::Fail) => Failed,
        (Accepted | NeedsAssessed | ContractSigned | Active | NonComplianceReview, T::Withdraw) => {
            Withdrawn
        }
        (Failed | Withdrawn, T::ReferForProsecution) => ProsecutionReferred,
        (Failed | Withdrawn, T::ExpireTimeLimit) => TimeLimitExpired,
        (Active, T::Complete) => Completed,
        (
            Completed | Control | Declined | ProsecutionReferred | TimeLimitExpired,
            T::BeginFollowUp,
        ) => FollowUp,
        (FollowUp | Ineligible, T::BeginRetentionReview) => RetentionReview,
        (RetentionReview, T::Dispose) => Disposed,
        _ => return Err(illegal()),
    };
    Ok(to)
}

/// Recomputes a case's state from its transitions, starting at `referred`.
pub fn replay(
    transitions: impl IntoIterator<Item = Transition>,
) -> Result<CaseState, (usize, IllegalTransition)> {
    transitions
        .into_iter()
        .enumerate()
        .try_fold(CaseState::Referred, |state, (i, t)| {
            next_state(state, t).map_err(|e| (i, e))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeSet, VecDeque};

    fn every_transition() -> Vec<Transition> {
        use Transition as T;
        vec![
            T::Screen {
                outcome: ScreeningOutcome::Eligible,
            },
            T::Screen {
                outcome: ScreeningOutcome::Ineligible,
            },
            T::Screen {
                outcome: ScreeningOutcome::NeedsInformation,
            },
            T::Allocate {
                arm: TrialArm::Treatment,
            },
            T::Allocate {
                arm: TrialArm::Control,
            },
            T::Offer,
            T::Accept,
            T::Decline,
            T::AssessNeeds,
            T::SignContract,
            T::Start,
            T::VaryContract,
            T::OpenReview,
            T::Resume,
            T::Fail,
            T::Withdraw,
            T::ReferForProsecution,
            T::ExpireTimeLimit,
            T::Complete,
            T::BeginFollowUp,
            T::BeginRetentionReview,
            T::Dispose,
        ]
    }

    #[test]
    fn the_main_path_runs_from_referral_to_disposal() {
        use Transition as T;
        let path = [
            T::Screen {
                outcome: ScreeningOutcome::Eligible,
            },
            T::Offer,
            T::Accept,
            T::AssessNeeds,
            T::SignContract,
            T::Start,
            T::VaryContract,
            T::OpenReview,
            T::Resume,
            T::Complete,
            T::BeginFollowUp,
            T::BeginRetentionReview,
            T::Dispose,
        ];
        assert_eq!(replay(path), Ok(CaseState::Disposed));
    }

    #[test]
    fn a_failed_case_is_referred_for_prosecution_or_closed_as_outcome_17() {
        use Transition as T;
        let to_failure = [
            T::Screen {
                outcome: ScreeningOutcome::Eligible,
            },
            T::Offer,
            T::Accept,
            T::AssessNeeds,
            T::SignContract,
            T::Start,
            T::OpenReview,
            T::Fail,
        ];
        assert_eq!(replay(to_failure), Ok(CaseState::Failed));
        let referred = to_failure.iter().copied().chain([T::ReferForProsecution]);
        assert_eq!(replay(referred), Ok(CaseState::ProsecutionReferred));
        let expired = to_failure.iter().copied().chain([T::ExpireTimeLimit]);
        assert_eq!(replay(expired), Ok(CaseState::TimeLimitExpired));
    }

    #[test]
    fn illegal_transitions_are_rejected_with_what_is_allowed() {
        let err = next_state(CaseState::Offered, Transition::Complete).unwrap_err();
        assert_eq!(err.from, CaseState::Offered);
        assert_eq!(
            err.to_string(),
            "a case that is offered cannot complete; allowed now: accept, decline"
        );
        let err = replay([Transition::Offer]).unwrap_err();
        assert_eq!(err.0, 0);
    }

    #[test]
    fn every_state_is_reachable_from_referral() {
        let mut seen = BTreeSet::from([CaseState::Referred]);
        let mut queue = VecDeque::from([CaseState::Referred]);
        while let Some(state) = queue.pop_front() {
            for t in every_transition() {
                if let Ok(next) = next_state(state, t)
                    && seen.insert(next)
                {
                    queue.push_back(next);
                }
            }
        }
        assert_eq!(seen.len(), CaseState::ALL.len());
    }

    #[test]
    fn state_names_round_trip() {
        for state in CaseState::ALL {
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
        assert!("actve".parse::<CaseState>().is_err());
    }

    fn any_transition() -> impl Strategy<Value = Transition> {
        proptest::sample::select(every_transition())
    }

    proptest! {
        /// `allowed()` lists exactly the transition kinds `next_state` accepts.
        #[test]
        fn allowed_agrees_with_next_state(state in proptest::sample::select(CaseState::ALL.to_vec()), t in any_transition()) {
            let listed = state.allowed().contains(&t.kind());
            prop_assert_eq!(listed, next_state(state, t).is_ok());
        }

        /// Random event sequences: an illegal event leaves the state unchanged, a legal one moves
        /// it to a state whose own rules apply next; nothing leaves `disposed`; the programme's
        /// closed states are never re-opened.
        #[test]
        fn random_sequences_respect_the_machine(events in proptest::collection::vec(any_transition(), 0..60)) {
            let mut state = CaseState::Referred;
            let mut accepted = Vec::new();
            for t in events {
                match next_state(state, t) {
                    Ok(next) => {
                        if state.is_closed() {
                            prop_assert!(next.is_closed(), "{state} reopened to {next}");
                        }
                        prop_assert_ne!(state, CaseState::Disposed);
                        accepted.push(t);
                        state = next;
                    }
                    Err(e) => {
                        prop_assert_eq!(e.from, state);
                        prop_assert!(!state.allowed().contains(&t.kind()));
                    }
                }
            }
            // Replaying only the accepted events reaches the same state.
            prop_assert_eq!(replay(accepted), Ok(state));
        }
    }
}
