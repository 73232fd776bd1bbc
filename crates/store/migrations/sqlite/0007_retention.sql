-- Retention (MoPI review; `checkpoint retention run`), SQLite flavour. Keep in step with
-- ../postgres/0007_retention.sql.

-- When a person's identifiers were replaced by a pseudonym (all their cases disposed of).
ALTER TABLE people ADD COLUMN pseudonymised_at TEXT;

-- Case history stays append-only, with one exception the law requires: at retention review
-- the free text of an event (its reason and the strings of its payload) may be cleaned of a
-- person's identifiers, once, and only together with setting `redacted_at`. Everything that
-- says what happened, when and by whom can still never change.
ALTER TABLE case_events ADD COLUMN redacted_at TEXT;

DROP TRIGGER case_events_append_only_update;
CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events
WHEN OLD.redacted_at IS NOT NULL
    OR NEW.redacted_at IS NULL
    OR NEW.id IS NOT OLD.id
    OR NEW.case_id IS NOT OLD.case_id
    OR NEW.sequence IS NOT OLD.sequence
    OR NEW.actor_id IS NOT OLD.actor_id
    OR NEW.occurred_at IS NOT OLD.occurred_at
    OR NEW.kind IS NOT OLD.kind
    OR NEW.from_state IS NOT OLD.from_state
    OR NEW.to_state IS NOT OLD.to_state
    OR NEW.policy_version IS NOT OLD.policy_version
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
