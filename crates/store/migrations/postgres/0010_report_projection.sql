-- The reports' read model: one row per case with everything evaluation needs, already derived
-- (funnel position, reasons, index date, demographics as coded), so a report over a million
-- cases reads one table instead of aggregating the event log, contracts, appointments and
-- referral snapshots (crates/app/src/report_projection.rs derives the rows).
-- Keep in step with ../sqlite/0010_report_projection.sql.
--
-- Rows are rebuilt from the records, never edited by hand. Triggers mark a case stale in the
-- same transaction as any change to what its row is derived from; a report brings the stale
-- rows up to date first, and derives any that went stale since from the records themselves,
-- so a report never reads an outdated row.
CREATE TABLE report_case_facts (
    case_id                    UUID PRIMARY KEY REFERENCES cases (id),
    scheme_id                  TEXT NOT NULL,
    opened_at                  TIMESTAMPTZ NOT NULL,
    referral_month             TEXT NOT NULL,
    funnel_stage               TEXT NOT NULL,
    ending                     TEXT,
    ineligibility_reason       TEXT,
    outcome_code               TEXT,
    ethnicity_self_defined     TEXT,
    ethnicity_officer_observed TEXT,
    sex                        TEXT NOT NULL,
    age_band                   TEXT NOT NULL,
    risk_band                  TEXT,
    previous_convictions       BIGINT,
    trial_arm                  TEXT,
    index_date                 DATE,
    contract_end               DATE,
    monitored_until            DATE,
    appointments_attended      BIGINT NOT NULL,
    prosecuted                 BOOLEAN NOT NULL,
    -- The current contract's conditions by type, as a JSON object (NULL when none).
    interventions_json         TEXT
);
CREATE INDEX report_case_facts_scheme_opened ON report_case_facts (scheme_id, opened_at);

CREATE TABLE report_stale_cases (
    case_id UUID PRIMARY KEY REFERENCES cases (id)
);

-- Every case already here is stale: the first report (or `checkpoint demo generate`) builds
-- its row.
INSERT INTO report_stale_cases (case_id) SELECT id FROM cases;

CREATE FUNCTION report_mark_case_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale_cases (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- For the tables whose rows name their case in `case_id`.
CREATE FUNCTION report_mark_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD.case_id; ELSE changed := NEW.case_id; END IF;
    INSERT INTO report_stale_cases (case_id) VALUES (changed) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION report_mark_person_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_stale_cases (case_id) SELECT id FROM cases WHERE person_id = NEW.id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION report_mark_condition_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    contract uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN contract := OLD.contract_id; ELSE contract := NEW.contract_id; END IF;
    INSERT INTO report_stale_cases (case_id) SELECT case_id FROM contracts WHERE id = contract
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER report_stale_case AFTER INSERT OR UPDATE ON cases
FOR EACH ROW EXECUTE FUNCTION report_mark_case_stale();
CREATE TRIGGER report_stale_event AFTER INSERT ON case_events
FOR EACH ROW EXECUTE FUNCTION report_mark_stale();
CREATE TRIGGER report_stale_person AFTER UPDATE ON people
FOR EACH ROW EXECUTE FUNCTION report_mark_person_stale();
CREATE TRIGGER report_stale_allocation AFTER INSERT OR UPDATE OR DELETE ON trial_allocations
FOR EACH ROW EXECUTE FUNCTION report_mark_stale();
CREATE TRIGGER report_stale_contract AFTER INSERT OR UPDATE ON contracts
FOR EACH ROW EXECUTE FUNCTION report_mark_stale();
CREATE TRIGGER report_stale_condition AFTER INSERT OR UPDATE OR DELETE ON contract_conditions
FOR EACH ROW EXECUTE FUNCTION report_mark_condition_stale();
CREATE TRIGGER report_stale_appointment AFTER INSERT OR UPDATE OR DELETE ON appointments
FOR EACH ROW EXECUTE FUNCTION report_mark_stale();
CREATE TRIGGER report_stale_screening AFTER INSERT ON screening_advice
FOR EACH ROW EXECUTE FUNCTION report_mark_stale();
