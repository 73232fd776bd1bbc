-- The reports' read model: one row per case with everything evaluation needs, already derived
-- (funnel position, reasons, index date, demographics as coded), so a report over a million
-- cases reads one table instead of aggregating the event log, contracts, appointments and
-- referral snapshots (crates/app/src/report_projection.rs derives the rows).
-- Keep in step with ../postgres/0010_report_projection.sql.
--
-- Rows are rebuilt from the records, never edited by hand. Triggers mark a case stale in the
-- same transaction as any change to what its row is derived from; a report brings the stale
-- rows up to date first, and derives any that went stale since from the records themselves,
-- so a report never reads an outdated row.
CREATE TABLE report_case_facts (
    case_id                    BLOB PRIMARY KEY REFERENCES cases (id),
    scheme_id                  TEXT NOT NULL,
    opened_at                  TEXT NOT NULL,
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
    previous_convictions       INTEGER,
    trial_arm                  TEXT,
    index_date                 TEXT,
    contract_end               TEXT,
    monitored_until            TEXT,
    appointments_attended      INTEGER NOT NULL,
    prosecuted                 INTEGER NOT NULL,
    -- The current contract's conditions by type, as a JSON object (NULL when none).
    interventions_json         TEXT
) WITHOUT ROWID;
CREATE INDEX report_case_facts_scheme_opened ON report_case_facts (scheme_id, opened_at);

CREATE TABLE report_stale_cases (
    case_id BLOB PRIMARY KEY REFERENCES cases (id)
) WITHOUT ROWID;

-- Every case already here is stale: the first report (or `checkpoint demo generate`) builds
-- its row.
INSERT INTO report_stale_cases (case_id) SELECT id FROM cases;

CREATE TRIGGER report_stale_case_inserted AFTER INSERT ON cases
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.id); END;
CREATE TRIGGER report_stale_case_updated AFTER UPDATE ON cases
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.id); END;
CREATE TRIGGER report_stale_event AFTER INSERT ON case_events
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_person AFTER UPDATE ON people
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) SELECT id FROM cases WHERE person_id = NEW.id; END;
CREATE TRIGGER report_stale_allocation_inserted AFTER INSERT ON trial_allocations
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_allocation_updated AFTER UPDATE ON trial_allocations
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_allocation_deleted AFTER DELETE ON trial_allocations
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (OLD.case_id); END;
CREATE TRIGGER report_stale_contract_inserted AFTER INSERT ON contracts
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_contract_updated AFTER UPDATE ON contracts
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_condition_inserted AFTER INSERT ON contract_conditions
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) SELECT case_id FROM contracts WHERE id = NEW.contract_id; END;
CREATE TRIGGER report_stale_condition_updated AFTER UPDATE ON contract_conditions
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) SELECT case_id FROM contracts WHERE id = NEW.contract_id; END;
CREATE TRIGGER report_stale_condition_deleted AFTER DELETE ON contract_conditions
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) SELECT case_id FROM contracts WHERE id = OLD.contract_id; END;
CREATE TRIGGER report_stale_appointment_inserted AFTER INSERT ON appointments
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_appointment_updated AFTER UPDATE ON appointments
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
CREATE TRIGGER report_stale_appointment_deleted AFTER DELETE ON appointments
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (OLD.case_id); END;
CREATE TRIGGER report_stale_screening AFTER INSERT ON screening_advice
BEGIN INSERT OR IGNORE INTO report_stale_cases (case_id) VALUES (NEW.case_id); END;
