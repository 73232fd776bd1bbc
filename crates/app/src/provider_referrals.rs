//! Referrals from a case to an intervention provider, and the provider's answer. Referring
//! passes personal data to a third party, so it is audited as a *disclosure* whose
//! justification is the navigator's note (DPA 2018 s.62(2)).

use crate::case_notes::{Writer, audit_row, invalid_unless_empty, required_text};
use crate::case_ops::state_of;
use crate::error::AppError;
use crate::permissions::Action;
use crate::{Actor, App};
use checkpoint_domain::contract::Pathway;
use checkpoint_store::provider_referrals::{self, ProviderReferralRow};
use checkpoint_store::{AuditAction, AuditEntry, audit};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The provider's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum ProviderResponse {
    Accepted,
    Rejected { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderReferralView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub provider: String,
    pub pathway: String,
    pub referred_at: Timestamp,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub responded_at: Option<Timestamp>,
    pub response_notes: Option<String>,
}

impl From<&ProviderReferralRow> for ProviderReferralView {
    fn from(row: &ProviderReferralRow) -> ProviderReferralView {
        ProviderReferralView {
            id: row.id,
            case_id: row.case_id,
            provider: row.provider.clone(),
            pathway: row.pathway.clone(),
            referred_at: row.referred_at.get(),
            status: row.status.clone(),
            responded_at: row.responded_at.map(|t| t.get()),
            response_notes: row.response_notes.clone(),
        }
    }
}

impl App {
    /// Refers the participant to a provider for a pathway. `note` says why and what is shared.
    pub async fn refer_to_provider(
        &self,
        actor: &Actor,
        case_id: Uuid,
        provider: &str,
        pathway: Pathway,
        note: &str,
    ) -> Result<ProviderReferralView, AppError> {
        let mut errors = Vec::new();
        required_text("provider", provider, 200, &mut errors);
        required_text("note", note, 2000, &mut errors);
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ReferToProvider, case_id)
            .await?;
        let state = state_of(&case)?;
        if !state.is_on_programme() {
            return Err(AppError::invalid(
                "case",
                format!(
                    "the case is {}; referrals are for participants on the programme",
                    state.label().to_lowercase()
                ),
            ));
        }
        let row = provider_referrals::refer(
            &mut tx,
            case.id,
            provider.trim(),
            pathway.as_str(),
            Some(actor.user_id),
        )
        .await?;
        audit::append(
            &mut tx,
            AuditEntry::new(
                Some(actor.user_id),
                actor.audit_name(),
                AuditAction::Disclosure,
                "case",
                case.id,
            )
            .with_justification(note.trim())
            .with_details(serde_json::json!({
                "reference": case.reference,
                "provider_referral_id": row.id,
                "recipient": row.provider,
                "pathway": row.pathway,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(ProviderReferralView::from(&row))
    }

    /// Records the provider's answer to a pending referral.
    pub async fn record_provider_response(
        &self,
        actor: &Actor,
        referral_id: Uuid,
        response: ProviderResponse,
    ) -> Result<ProviderReferralView, AppError> {
        let mut errors = Vec::new();
        if let ProviderResponse::Rejected { reason } = &response {
            required_text("reason", reason, 2000, &mut errors);
        }
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let referral = provider_referrals::get(&mut tx, referral_id).await?;
        let case = self
            .load_case_for(
                &mut tx,
                actor,
                Action::RecordProviderResponse,
                referral.case_id,
            )
            .await?;
        if referral.status != "pending" {
            return Err(AppError::invalid(
                "referral_id",
                format!("the provider has already answered ({})", referral.status),
            ));
        }
        let (accepted, notes) = match &response {
            ProviderResponse::Accepted => (true, None),
            ProviderResponse::Rejected { reason } => (false, Some(reason.trim())),
        };
        let row = provider_referrals::respond(&mut tx, referral.id, accepted, notes).await?;
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Alteration,
            "provider_referral",
            row.id,
            serde_json::json!({
                "case_id": case.id,
                "reference": case.reference,
                "status": row.status,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(ProviderReferralView::from(&row))
    }

    /// A case's provider referrals. A consultation.
    pub async fn provider_referrals(
        &self,
        actor: &Actor,
        case_id: Uuid,
    ) -> Result<Vec<ProviderReferralView>, AppError> {
        let mut tx = self.begin_read().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ViewCase, case_id)
            .await?;
        let rows = provider_referrals::for_case(&mut tx, case.id).await?;
        tx.commit().await?;
        self.record_consultation(actor, "case", case.id, "provider referrals viewed")
            .await?;
        Ok(rows.iter().map(ProviderReferralView::from).collect())
    }
}
