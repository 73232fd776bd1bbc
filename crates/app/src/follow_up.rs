//! The follow-up window: how long after a case closes new arrests still count as reoffending.
//!
//! Evaluation is intention to treat (design.md §6): participants who fail or withdraw, people
//! who decline, and trial controls are followed up just like completers. So every way a case
//! closes opens the window, measured from the case's index date (contract start for
//! participants; the day of the decision for controls and decliners), to the policy's longest
//! follow-up period. The visible state stays what it is (declined, control, referred for
//! prosecution…); monitoring reads `follow_up_until`.

use crate::{Actor, App, AppError};
use checkpoint_domain::deadline::add_months;
use checkpoint_store::cases::CaseRow;
use checkpoint_store::{Tx, contracts};
use jiff::civil::Date;

impl App {
    /// The index date reoffending is counted from: the current contract's start when there is
    /// one, otherwise today (the decision that closed the case).
    pub(crate) async fn index_date(&self, tx: &mut Tx, case: &CaseRow) -> Result<Date, AppError> {
        Ok(match contracts::current(tx, case.id).await? {
            Some(contract) => contract.start_date.get(),
            None => self.clock().today(),
        })
    }

    /// Sets `follow_up_until` (index date + the policy's longest follow-up) and a retention
    /// review date no earlier than that, as one `key_dates_changed` event with its audit row.
    pub(crate) async fn open_follow_up_window(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: &CaseRow,
        reason: &str,
    ) -> Result<CaseRow, AppError> {
        let policy = self.policy_for(case)?;
        let index = self.index_date(tx, case).await?;
        let months = policy.follow_up_months().iter().copied().max().unwrap_or(0);
        let follow_up_until = add_months(index, i32::from(months));
        let retention_review_on = add_months(
            self.clock().today(),
            i32::from(policy.retention().review_after_months),
        )
        .max(follow_up_until);
        let mut dates = case.key_dates();
        dates.follow_up_until = Some(follow_up_until.into());
        dates.retention_review_on = Some(retention_review_on.into());
        self.change_key_dates(tx, actor, case, &dates, reason).await
    }
}
