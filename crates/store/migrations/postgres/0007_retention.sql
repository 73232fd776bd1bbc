-- Retention (MoPI review; `checkpoint retention run`), PostgreSQL flavour. Keep in step with
-- ../sqlite/0007_retention.sql.

-- When a person's identifiers were replaced by a pseudonym (all their cases disposed of).
ALTER TABLE people ADD COLUMN pseudonymised_at TIMESTAMPTZ;

-- Case history stays append-only, with one exception the law requires: at retention review
-- the free text of an event (its reason and the strings of its payload) may be cleaned of a
-- person's identifiers, once, and only together with setting `redacted_at`. Everything that
-- says what happened, when and by whom can still never change.
ALTER TABLE case_events ADD COLUMN redacted_at TIMESTAMPTZ;

CREATE FUNCTION case_events_redact_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
        OR OLD.redacted_at IS NOT NULL
        OR NEW.redacted_at IS NULL
        OR (NEW.id, NEW.case_id, NEW.sequence, NEW.actor_id, NEW.occurred_at, NEW.kind,
            NEW.from_state, NEW.to_state, NEW.policy_version)
           IS DISTINCT FROM
           (OLD.id, OLD.case_id, OLD.sequence, OLD.actor_id, OLD.occurred_at, OLD.kind,
            OLD.from_state, OLD.to_state, OLD.policy_version)
    THEN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER case_events_append_only ON case_events;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_redact_only();
