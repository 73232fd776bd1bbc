//! Who works a case: assigning a navigator (by hand or to the least-loaded navigator of a team)
//! within the caseload limit, and handing a whole caseload over when a navigator leaves.
//!
//! A navigator's *open* cases are those in a state where [`CaseState::is_on_programme`] holds;
//! the limit is [`crate::Settings::caseload_limit`]. Going over it takes an explicit
//! [`LimitOverride`] with a reason, which the `assigned` event keeps.

use crate::case_notes::{Writer, audit_row, required_text};
use crate::case_ops::{check_version, state_of};
use crate::error::AppError;
use crate::permissions::{Action, authorise};
use crate::{Actor, App, FieldError, Role};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::cases::{self, CaseRow, Reassignment};
use checkpoint_store::users::{self, UserRow};
use checkpoint_store::{AuditAction, Tx};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Where a case should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    /// The enabled navigator of the team with fewest open cases (ties: by username).
    Auto { team: String },
    /// A named navigator.
    To(Uuid),
}

/// Where a leaving navigator's open cases should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOver {
    /// Spread over the team's other enabled navigators, least-loaded first each time.
    Spread { team: String },
    /// All to one navigator.
    To(Uuid),
}

/// A supervisor's explicit decision to exceed the caseload limit, with the reason recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverride {
    pub reason: String,
}

/// The outcome of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentMade {
    pub case_id: Uuid,
    pub reference: String,
    /// The case's version after the `assigned` event.
    pub version: i64,
    pub navigator_id: Uuid,
    pub navigator_name: String,
    pub team: Option<String>,
    /// The navigator's open cases including this one.
    pub open_cases: usize,
    pub limit: u16,
    /// The limit was exceeded under a [`LimitOverride`].
    pub over_limit: bool,
}

/// One case moved by a handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseMoved {
    pub case_id: Uuid,
    pub reference: String,
    pub version: i64,
    pub to_navigator_id: Uuid,
    pub to_navigator_name: String,
}

/// What a handover did, and each receiving navigator's open cases afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandOverDone {
    pub from_navigator_id: Uuid,
    pub moved: Vec<CaseMoved>,
    pub loads_after: Vec<NavigatorLoad>,
}

/// A navigator's open cases against the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavigatorLoad {
    pub navigator_id: Uuid,
    pub navigator_name: String,
    pub team: Option<String>,
    pub open_cases: usize,
    pub limit: u16,
}

/// The states in which a case counts against its navigator's caseload.
pub fn open_states() -> Vec<CaseState> {
    CaseState::ALL
        .into_iter()
        .filter(|s| s.is_on_programme())
        .collect()
}

/// Open cases per navigator.
pub(crate) async fn open_caseloads(tx: &mut Tx) -> Result<BTreeMap<Uuid, usize>, AppError> {
    let mut loads = BTreeMap::new();
    for case in cases::in_states(tx, &open_states()).await? {
        if let Some(navigator) = case.navigator_id {
            *loads.entry(navigator).or_insert(0) += 1;
        }
    }
    Ok(loads)
}

/// Enabled navigators of a team, by username.
pub(crate) async fn team_navigators(tx: &mut Tx, team: &str) -> Result<Vec<UserRow>, AppError> {
    Ok(users::list(tx)
        .await?
        .into_iter()
        .filter(|u| is_enabled_navigator(u) && u.team.as_deref() == Some(team))
        .collect())
}

fn is_enabled_navigator(user: &UserRow) -> bool {
    !user.disabled && user.role == Role::Navigator.as_str()
}

/// A named user who can take cases, or a field error saying why not.
async fn navigator_by_id(tx: &mut Tx, id: Uuid, field: &str) -> Result<UserRow, AppError> {
    let user = match users::get(tx, id).await {
        Ok(user) => user,
        Err(checkpoint_store::StoreError::NotFound(_)) => {
            return Err(AppError::invalid(field, "no such user"));
        }
        Err(other) => return Err(other.into()),
    };
    if !is_enabled_navigator(&user) {
        return Err(AppError::invalid(
            field,
            format!("{} is not an enabled navigator", user.username),
        ));
    }
    Ok(user)
}

fn validate_override(over_limit: Option<&LimitOverride>) -> Result<(), AppError> {
    if let Some(o) = over_limit {
        let mut errors = Vec::new();
        required_text("over_limit.reason", &o.reason, 500, &mut errors);
        crate::case_notes::invalid_unless_empty(errors)?;
    }
    Ok(())
}

/// Picks the least-loaded navigator (ties by username) among `candidates`, respecting the limit
/// unless overridden.
fn least_loaded<'a>(
    candidates: &'a [UserRow],
    loads: &BTreeMap<Uuid, usize>,
    limit: u16,
    may_exceed: bool,
) -> Option<&'a UserRow> {
    candidates
        .iter()
        .filter(|u| may_exceed || load_of(loads, u.id) < usize::from(limit))
        .min_by(|a, b| {
            (load_of(loads, a.id), a.username.to_lowercase())
                .cmp(&(load_of(loads, b.id), b.username.to_lowercase()))
        })
}

fn load_of(loads: &BTreeMap<Uuid, usize>, id: Uuid) -> usize {
    loads.get(&id).copied().unwrap_or(0)
}

impl App {
    /// Assigns a navigator to a case. `Auto` picks the least-loaded enabled navigator of the
    /// team; everyone at the limit is refused unless `over_limit` gives a reason.
    pub async fn assign_navigator(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        assignment: Assignment,
        over_limit: Option<LimitOverride>,
    ) -> Result<AssignmentMade, AppError> {
        validate_override(over_limit.as_ref())?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::AssignNavigator, case_id)
            .await?;
        let made = self
            .assign_in_tx(
                &mut tx,
                actor,
                &case,
                version,
                &assignment,
                over_limit.as_ref(),
            )
            .await?;
        tx.commit().await?;
        Ok(made)
    }

    /// The enabled navigators a case may be assigned to, with their open cases against the
    /// limit, least loaded first (ties by name): the actor's team, or everyone when the actor
    /// has no team. For the "assign to a named navigator" choice; no personal data.
    pub async fn navigator_loads(&self, actor: &Actor) -> Result<Vec<NavigatorLoad>, AppError> {
        authorise(actor, Action::AssignNavigator)?;
        let team = actor.team.as_deref();
        let mut tx = self.begin_read().await?;
        let loads = open_caseloads(&mut tx).await?;
        let users = users::list(&mut tx).await?;
        tx.commit().await?;
        let limit = self.settings().caseload_limit;
        let mut out: Vec<NavigatorLoad> = users
            .into_iter()
            .filter(|u| is_enabled_navigator(u) && (team.is_none() || u.team.as_deref() == team))
            .map(|u| NavigatorLoad {
                navigator_id: u.id,
                open_cases: load_of(&loads, u.id),
                navigator_name: u.display_name,
                team: u.team,
                limit,
            })
            .collect();
        out.sort_by(|a, b| {
            (a.open_cases, &a.navigator_name).cmp(&(b.open_cases, &b.navigator_name))
        });
        Ok(out)
    }

    /// The assignment inside a caller's transaction, so a use case that accepts a case can
    /// assign it atomically. The caller has authorised `actor` for the case.
    pub async fn assign_in_tx(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
        version: i64,
        assignment: &Assignment,
        over_limit: Option<&LimitOverride>,
    ) -> Result<AssignmentMade, AppError> {
        check_version(case, version)?;
        let state = state_of(case)?;
        if state.is_closed() {
            return Err(AppError::invalid(
                "case",
                format!(
                    "a case that is {} has no navigator to assign",
                    state.label().to_lowercase()
                ),
            ));
        }
        let limit = self.settings().caseload_limit;
        let mut loads = open_caseloads(tx).await?;
        // The case's own slot does not count against the navigator it is moving to.
        if state.is_on_programme()
            && let Some(current) = case.navigator_id
            && let Some(load) = loads.get_mut(&current)
        {
            *load = load.saturating_sub(1);
        }
        let navigator = match assignment {
            Assignment::To(id) => {
                let navigator = navigator_by_id(tx, *id, "navigator_id").await?;
                if load_of(&loads, navigator.id) >= usize::from(limit) && over_limit.is_none() {
                    return Err(AppError::invalid(
                        "navigator_id",
                        format!(
                            "{} already has {} open cases (limit {limit}); a supervisor may \
                             override with a reason",
                            navigator.display_name,
                            load_of(&loads, navigator.id)
                        ),
                    ));
                }
                navigator
            }
            Assignment::Auto { team } => {
                let candidates = team_navigators(tx, team).await?;
                if candidates.is_empty() {
                    return Err(AppError::invalid(
                        "team",
                        format!("team {team:?} has no enabled navigators"),
                    ));
                }
                least_loaded(&candidates, &loads, limit, over_limit.is_some())
                    .cloned()
                    .ok_or_else(|| {
                        AppError::invalid(
                            "team",
                            format!(
                                "every navigator in team {team} is at the caseload limit \
                                 ({limit}); a supervisor may override with a reason"
                            ),
                        )
                    })?
            }
        };
        let open_after = load_of(&loads, navigator.id) + usize::from(state.is_on_programme());
        let over = open_after > usize::from(limit);
        if over && actor.role != Role::Supervisor {
            // Only a supervisor's judgement can justify an overloaded navigator (this matters
            // when another use case assigns through `assign_in_tx`).
            return Err(AppError::Forbidden {
                action: Action::AssignNavigator,
            });
        }
        let details = serde_json::json!({
            "open_cases": open_after,
            "limit": limit,
            "over_limit": over,
            "override_reason": over_limit.filter(|_| over).map(|o| o.reason.trim()),
        });
        let reason = over_limit.filter(|_| over).map(|o| o.reason.trim());
        let (updated, _) = cases::reassign(
            tx,
            case.id,
            version,
            &Reassignment {
                navigator_id: Some(navigator.id),
                team: navigator.team.as_deref(),
                actor_id: Some(actor.user_id),
                reason,
                details: details.clone(),
            },
        )
        .await?;
        audit_row(
            tx,
            Writer::User(actor),
            AuditAction::Alteration,
            "case",
            case.id,
            serde_json::json!({
                "reference": case.reference,
                "event": "assigned",
                "version": updated.version,
                "navigator": navigator.username,
                "from_navigator_id": case.navigator_id,
                "assignment": details,
            }),
        )
        .await?;
        Ok(AssignmentMade {
            case_id: case.id,
            reference: case.reference.clone(),
            version: updated.version,
            navigator_id: navigator.id,
            navigator_name: navigator.display_name,
            team: navigator.team,
            open_cases: open_after,
            limit,
            over_limit: over,
        })
    }

    /// Moves every open case of `from_navigator` in one transaction: each case gets its
    /// `assigned` event and audit row. Refused as a whole if the receivers lack room (unless
    /// overridden), so a handover never half-happens.
    pub async fn hand_over_caseload(
        &self,
        actor: &Actor,
        from_navigator: Uuid,
        to: HandOver,
        over_limit: Option<LimitOverride>,
    ) -> Result<HandOverDone, AppError> {
        authorise(actor, Action::HandOverCaseload)?;
        validate_override(over_limit.as_ref())?;
        let mut tx = self.begin().await?;
        let leaving = match users::get(&mut tx, from_navigator).await {
            Ok(user) => user,
            Err(checkpoint_store::StoreError::NotFound(_)) => {
                return Err(AppError::invalid("from_navigator_id", "no such user"));
            }
            Err(other) => return Err(other.into()),
        };
        let open = open_states();
        let moving: Vec<CaseRow> = cases::for_navigator(&mut tx, leaving.id)
            .await?
            .into_iter()
            .filter(|c| c.state().is_ok_and(|s| open.contains(&s)))
            .collect();
        let receivers: Vec<UserRow> = match &to {
            HandOver::To(id) => {
                if *id == leaving.id {
                    return Err(AppError::invalid(
                        "to_navigator_id",
                        "choose a navigator other than the one leaving",
                    ));
                }
                vec![navigator_by_id(&mut tx, *id, "to_navigator_id").await?]
            }
            HandOver::Spread { team } => team_navigators(&mut tx, team)
                .await?
                .into_iter()
                .filter(|u| u.id != leaving.id)
                .collect(),
        };
        if receivers.is_empty() {
            return Err(AppError::invalid(
                "team",
                "the team has no other enabled navigator to take the cases",
            ));
        }
        let limit = self.settings().caseload_limit;
        let mut loads = open_caseloads(&mut tx).await?;
        let room: usize = receivers
            .iter()
            .map(|r| usize::from(limit).saturating_sub(load_of(&loads, r.id)))
            .sum();
        if moving.len() > room && over_limit.is_none() {
            return Err(AppError::Invalid(vec![FieldError::new(
                "to",
                format!(
                    "{} open cases to move but room for only {room} within the caseload limit \
                     ({limit}); add navigators or override with a reason",
                    moving.len()
                ),
            )]));
        }
        let mut plan = Vec::with_capacity(moving.len());
        for case in &moving {
            let receiver = least_loaded(&receivers, &loads, limit, over_limit.is_some())
                .ok_or_else(|| AppError::Internal("handover planning ran out of room".into()))?;
            *loads.entry(receiver.id).or_insert(0) += 1;
            plan.push((case, receiver.clone()));
        }
        let mut moved = Vec::with_capacity(plan.len());
        for (case, receiver) in plan {
            let over = load_of(&loads, receiver.id) > usize::from(limit);
            let reason = format!("caseload handed over from {}", leaving.username);
            let (updated, _) = cases::reassign(
                &mut tx,
                case.id,
                case.version,
                &Reassignment {
                    navigator_id: Some(receiver.id),
                    team: receiver.team.as_deref(),
                    actor_id: Some(actor.user_id),
                    reason: Some(&reason),
                    details: serde_json::json!({
                        "handover_from": leaving.id,
                        "over_limit": over,
                        "override_reason": over_limit.as_ref().filter(|_| over).map(|o| o.reason.trim()),
                    }),
                },
            )
            .await?;
            audit_row(
                &mut tx,
                Writer::User(actor),
                AuditAction::Alteration,
                "case",
                case.id,
                serde_json::json!({
                    "reference": case.reference,
                    "event": "assigned",
                    "version": updated.version,
                    "handover_from": leaving.username,
                    "navigator": receiver.username,
                }),
            )
            .await?;
            moved.push(CaseMoved {
                case_id: case.id,
                reference: case.reference.clone(),
                version: updated.version,
                to_navigator_id: receiver.id,
                to_navigator_name: receiver.display_name.clone(),
            });
        }
        let loads_after = receivers
            .iter()
            .map(|r| NavigatorLoad {
                navigator_id: r.id,
                navigator_name: r.display_name.clone(),
                team: r.team.clone(),
                open_cases: load_of(&loads, r.id),
                limit,
            })
            .collect();
        tx.commit().await?;
        Ok(HandOverDone {
            from_navigator_id: leaving.id,
            moved,
            loads_after,
        })
    }
}
