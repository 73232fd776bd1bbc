-- Checkpoint schema, SQLite flavour. Keep in step with ../postgres/0001_initial.sql: same
-- tables, columns, meanings and constraint names. Types: UUIDs are 16-byte BLOBs generated in
-- Rust (v7); instants are fixed-width RFC 3339 UTC text with six fractional digits; civil dates
-- are YYYY-MM-DD text; JSON is TEXT; booleans are 0/1.

CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    team          TEXT,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE people (
    id                         BLOB PRIMARY KEY NOT NULL,
    given_name                 TEXT NOT NULL,
    family_name                TEXT NOT NULL,
    date_of_birth              TEXT NOT NULL,
    sex                        TEXT NOT NULL,
    ethnicity_self_defined     TEXT,
    ethnicity_officer_observed TEXT,
    postcode                   TEXT,
    pnc_id                     TEXT,
    resides_in_force_area      BOOLEAN,
    created_at                 TEXT NOT NULL
);
CREATE INDEX people_family_name ON people (family_name, given_name);
CREATE INDEX people_pnc_id ON people (pnc_id);

CREATE TABLE referrals (
    id          BLOB PRIMARY KEY NOT NULL,
    person_id   BLOB NOT NULL REFERENCES people (id),
    scheme_id   TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    input_json  TEXT NOT NULL,
    referred_by BLOB REFERENCES users (id),
    received_at TEXT NOT NULL
);
CREATE INDEX referrals_person_id ON referrals (person_id);

CREATE TABLE decisions (
    id              BLOB PRIMARY KEY NOT NULL,
    referral_id     BLOB NOT NULL REFERENCES referrals (id),
    policy_id       TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    policy_hash     TEXT NOT NULL,
    advised_outcome TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    evaluation_json TEXT NOT NULL,
    decided_by      BLOB NOT NULL REFERENCES users (id),
    decided_at      TEXT NOT NULL,
    follows_advice  BOOLEAN NOT NULL,
    override_code   TEXT,
    override_reason TEXT,
    CONSTRAINT decisions_override_reasoned CHECK (follows_advice OR override_code IS NOT NULL)
);
CREATE INDEX decisions_referral_id ON decisions (referral_id);

CREATE TABLE case_reference_counters (
    prefix     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    last_value INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id                   BLOB PRIMARY KEY NOT NULL,
    reference            TEXT NOT NULL UNIQUE,
    person_id            BLOB NOT NULL REFERENCES people (id),
    referral_id          BLOB REFERENCES referrals (id),
    scheme_id            TEXT NOT NULL,
    state                TEXT NOT NULL,
    version              INTEGER NOT NULL,
    navigator_id         BLOB REFERENCES users (id),
    team                 TEXT,
    opened_at            TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    offence_date         TEXT,
    prosecution_deadline TEXT,
    contract_end         TEXT,
    follow_up_until      TEXT,
    retention_review_on  TEXT
);
CREATE INDEX cases_person_id ON cases (person_id);
CREATE INDEX cases_navigator_id ON cases (navigator_id);
CREATE INDEX cases_state ON cases (state);

CREATE TABLE case_events (
    id             BLOB PRIMARY KEY NOT NULL,
    case_id        BLOB NOT NULL REFERENCES cases (id),
    sequence       INTEGER NOT NULL,
    actor_id       BLOB REFERENCES users (id),
    occurred_at    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    from_state     TEXT,
    to_state       TEXT,
    reason         TEXT,
    policy_version TEXT,
    payload_json   TEXT NOT NULL,
    UNIQUE (case_id, sequence)
);

CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_append_only_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

CREATE TABLE contracts (
    id               BLOB PRIMARY KEY NOT NULL,
    case_id          BLOB NOT NULL REFERENCES cases (id),
    version          INTEGER NOT NULL,
    start_date       TEXT NOT NULL,
    end_date         TEXT NOT NULL,
    signed_on        TEXT,
    variation_reason TEXT,
    created_by       BLOB REFERENCES users (id),
    created_at       TEXT NOT NULL,
    UNIQUE (case_id, version)
);

CREATE TABLE contract_conditions (
    id             BLOB PRIMARY KEY NOT NULL,
    contract_id    BLOB NOT NULL REFERENCES contracts (id),
    position       INTEGER NOT NULL,
    condition_type TEXT NOT NULL,
    description    TEXT NOT NULL,
    pathway        TEXT,
    hours          INTEGER,
    due_date       TEXT,
    status         TEXT NOT NULL
);
CREATE INDEX contract_conditions_contract_id ON contract_conditions (contract_id);

CREATE TABLE appointments (
    id            BLOB PRIMARY KEY NOT NULL,
    case_id       BLOB NOT NULL REFERENCES cases (id),
    planned_at    TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    location      TEXT,
    attendance    TEXT CHECK (attendance IN ('attended', 'late', 'did_not_attend')),
    missed_reason TEXT CHECK (missed_reason IN ('acceptable', 'unacceptable', 'logistical')),
    notes         TEXT,
    recorded_by   BLOB REFERENCES users (id),
    recorded_at   TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX appointments_case_id ON appointments (case_id, planned_at);

CREATE TABLE provider_referrals (
    id             BLOB PRIMARY KEY NOT NULL,
    case_id        BLOB NOT NULL REFERENCES cases (id),
    provider       TEXT NOT NULL,
    pathway        TEXT NOT NULL,
    referred_by    BLOB REFERENCES users (id),
    referred_at    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    responded_at   TEXT,
    response_notes TEXT
);
CREATE INDEX provider_referrals_case_id ON provider_referrals (case_id);

CREATE TABLE needs_assessments (
    id          BLOB PRIMARY KEY NOT NULL,
    case_id     BLOB NOT NULL REFERENCES cases (id),
    assessed_by BLOB REFERENCES users (id),
    assessed_at TEXT NOT NULL,
    notes       TEXT
);
CREATE INDEX needs_assessments_case_id ON needs_assessments (case_id);

CREATE TABLE needs_assessment_items (
    assessment_id BLOB NOT NULL REFERENCES needs_assessments (id),
    pathway       TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('none', 'low', 'medium', 'high')),
    notes         TEXT,
    PRIMARY KEY (assessment_id, pathway)
);

CREATE TABLE trial_allocations (
    id                BLOB PRIMARY KEY NOT NULL,
    case_id           BLOB NOT NULL UNIQUE REFERENCES cases (id),
    trial_id          TEXT NOT NULL,
    stratum           TEXT NOT NULL,
    block_number      INTEGER NOT NULL,
    position_in_block INTEGER NOT NULL,
    arm               TEXT NOT NULL CHECK (arm IN ('treatment', 'control')),
    seed              TEXT NOT NULL,
    allocated_by      BLOB REFERENCES users (id),
    allocated_at      TEXT NOT NULL
);

-- DPA 2018 s.62 log. `sequence` is dense from 1; `hash` = SHA-256(prev_hash || canonical
-- content), see src/audit.rs. `audit_head` holds the last sequence and hash; appends update it
-- first, which serialises them.
CREATE TABLE audit_log (
    sequence      INTEGER PRIMARY KEY NOT NULL,
    id            BLOB NOT NULL UNIQUE,
    occurred_at   TEXT NOT NULL,
    actor_id      BLOB,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('collection', 'alteration', 'consultation', 'disclosure', 'combination', 'erasure')),
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    justification TEXT,
    details_json  TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE audit_head (
    singleton     INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    last_sequence INTEGER NOT NULL,
    last_hash     TEXT NOT NULL
);
INSERT INTO audit_head (singleton, last_sequence, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
