//! Appointments and contact. Attendance follows HMPPS "Refer and monitor an intervention":
//! attended, late, or not — and if not, whether the reason was acceptable, unacceptable on the
//! person's part, or logistical. An unacceptable absence on an active contract opens a
//! non-compliance review in the same transaction: it is the evidence a breach decision needs.
//!
//! Contact (a call, a visit) is recorded as a `contact` event on the case with the day it
//! happened; with attended appointments it feeds the "no contact for N days" work lists.

use crate::case_notes::{CaseNote, Writer, audit_row, invalid_unless_empty, required_text};
use crate::case_ops::state_of;
use crate::error::AppError;
use crate::permissions::Action;
use crate::reviews::{ReviewOpened, ReviewTrigger};
use crate::{Actor, App, FieldError};
use checkpoint_domain::lifecycle::CaseState;
use checkpoint_store::appointments::{self, AppointmentRow};
use checkpoint_store::{AuditAction, Instant};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use checkpoint_store::appointments::MissedReason as AbsenceReason;

/// An appointment to book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAppointment {
    pub at: Timestamp,
    pub purpose: String,
    #[serde(default)]
    pub location: Option<String>,
}

/// Whether the participant came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "attended", rename_all = "snake_case")]
pub enum Attendance {
    Yes,
    Late,
    No { reason: AbsenceReason, note: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: Timestamp,
    pub purpose: String,
    pub location: Option<String>,
    /// `attended`, `late` or `did_not_attend` once recorded.
    pub attendance: Option<String>,
    pub absence_reason: Option<String>,
    pub notes: Option<String>,
}

impl From<&AppointmentRow> for AppointmentView {
    fn from(row: &AppointmentRow) -> AppointmentView {
        AppointmentView {
            id: row.id,
            case_id: row.case_id,
            at: row.planned_at.get(),
            purpose: row.purpose.clone(),
            location: row.location.clone(),
            attendance: row.attendance.clone(),
            absence_reason: row.missed_reason.clone(),
            notes: row.notes.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendanceRecorded {
    pub appointment: AppointmentView,
    /// The case's version afterwards (it changes only when a review opens).
    pub version: i64,
    pub review_opened: Option<ReviewOpened>,
}

/// How contact was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMethod {
    InPerson,
    Phone,
    Video,
    Message,
}

/// Contact with the participant outside an appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub on: Date,
    pub method: ContactMethod,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRecorded {
    pub case_id: Uuid,
    pub version: i64,
    pub on: Date,
}

/// Appointments and contact happen while the participant is on the programme.
fn check_on_programme(state: CaseState) -> Result<(), AppError> {
    if state.is_on_programme() {
        Ok(())
    } else {
        Err(AppError::invalid(
            "case",
            format!(
                "the case is {}; appointments and contact are for participants on the programme",
                state.label().to_lowercase()
            ),
        ))
    }
}

impl App {
    pub async fn schedule_appointment(
        &self,
        actor: &Actor,
        case_id: Uuid,
        appointment: NewAppointment,
    ) -> Result<AppointmentView, AppError> {
        let mut errors = Vec::new();
        required_text("purpose", &appointment.purpose, 200, &mut errors);
        if let Some(location) = &appointment.location {
            required_text("location", location, 200, &mut errors);
        }
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ScheduleAppointment, case_id)
            .await?;
        check_on_programme(state_of(&case)?)?;
        let row = appointments::schedule(
            &mut tx,
            case.id,
            Instant::from(appointment.at),
            appointment.purpose.trim(),
            appointment.location.as_deref().map(str::trim),
        )
        .await?;
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Collection,
            "appointment",
            row.id,
            serde_json::json!({
                "case_id": case.id,
                "reference": case.reference,
                "at": row.planned_at.to_string(),
                "purpose": row.purpose,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(AppointmentView::from(&row))
    }

    /// Records attendance once, after the appointment's time.
    pub async fn record_attendance(
        &self,
        actor: &Actor,
        appointment_id: Uuid,
        attendance: Attendance,
    ) -> Result<AttendanceRecorded, AppError> {
        let mut errors = Vec::new();
        if let Attendance::No { note, .. } = &attendance {
            required_text("note", note, 2000, &mut errors);
        }
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let appointment = appointments::get(&mut tx, appointment_id).await?;
        let case = self
            .load_case_for(
                &mut tx,
                actor,
                Action::RecordAttendance,
                appointment.case_id,
            )
            .await?;
        if appointment.attendance.is_some() {
            return Err(AppError::invalid(
                "appointment_id",
                "attendance is already recorded for this appointment",
            ));
        }
        if appointment.planned_at.get() > self.clock().now() {
            return Err(AppError::invalid(
                "appointment_id",
                "the appointment has not happened yet",
            ));
        }
        let (stored, reason, note) = match &attendance {
            Attendance::Yes => (appointments::Attendance::Attended, None, None),
            Attendance::Late => (appointments::Attendance::Late, None, None),
            Attendance::No { reason, note } => (
                appointments::Attendance::DidNotAttend,
                Some(*reason),
                Some(note.trim()),
            ),
        };
        let row = appointments::record_attendance(
            &mut tx,
            appointment.id,
            stored,
            reason,
            note,
            Some(actor.user_id),
        )
        .await?;
        audit_row(
            &mut tx,
            Writer::User(actor),
            AuditAction::Alteration,
            "appointment",
            row.id,
            serde_json::json!({
                "case_id": case.id,
                "reference": case.reference,
                "attendance": row.attendance,
                "absence_reason": row.missed_reason,
            }),
        )
        .await?;
        let unacceptable = matches!(
            attendance,
            Attendance::No {
                reason: AbsenceReason::Unacceptable,
                ..
            }
        );
        let mut version = case.version;
        let mut review_opened = None;
        if unacceptable && state_of(&case)? == CaseState::Active {
            let (updated, opened) = self
                .open_review_in_tx(
                    &mut tx,
                    Writer::User(actor),
                    &case,
                    case.version,
                    &ReviewTrigger::UnacceptableAbsence(row.id),
                )
                .await?;
            version = updated.version;
            review_opened = Some(opened);
        }
        tx.commit().await?;
        Ok(AttendanceRecorded {
            appointment: AppointmentView::from(&row),
            version,
            review_opened,
        })
    }

    /// A case's appointments, earliest first. A consultation.
    pub async fn appointments(
        &self,
        actor: &Actor,
        case_id: Uuid,
    ) -> Result<Vec<AppointmentView>, AppError> {
        let mut tx = self.begin_read().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::ViewCase, case_id)
            .await?;
        let rows = appointments::for_case(&mut tx, case.id).await?;
        tx.commit().await?;
        self.record_consultation(actor, "case", case.id, "appointments viewed")
            .await?;
        Ok(rows.iter().map(AppointmentView::from).collect())
    }

    /// Records contact with the participant outside an appointment.
    pub async fn record_contact(
        &self,
        actor: &Actor,
        case_id: Uuid,
        version: i64,
        contact: Contact,
    ) -> Result<ContactRecorded, AppError> {
        let mut errors = Vec::new();
        required_text("note", &contact.note, 2000, &mut errors);
        if contact.on > self.clock().today() {
            errors.push(FieldError::new("on", "cannot be in the future"));
        }
        invalid_unless_empty(errors)?;
        let mut tx = self.begin().await?;
        let case = self
            .load_case_for(&mut tx, actor, Action::RecordAttendance, case_id)
            .await?;
        check_on_programme(state_of(&case)?)?;
        let note = CaseNote {
            kind: "contact",
            reason: Some(contact.note.trim()),
            payload: serde_json::json!({ "on": contact.on, "method": contact.method }),
        };
        let updated = self
            .note_case_event(&mut tx, Writer::User(actor), &case, version, note)
            .await?;
        tx.commit().await?;
        Ok(ContactRecorded {
            case_id,
            version: updated.version,
            on: contact.on,
        })
    }
}
