-- Checkpoint schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_initial.sql: same
-- tables, columns, meanings and constraint names. Every integer is BIGINT (read as i64);
-- UUIDs are generated in Rust (v7); instants are TIMESTAMPTZ; civil dates DATE; JSON is TEXT.

-- Append-only tables reject UPDATE and DELETE.
CREATE FUNCTION reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    team          TEXT,
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
-- Usernames are unique ignoring case (SQLite: COLLATE NOCASE).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE people (
    id                         UUID PRIMARY KEY,
    given_name                 TEXT NOT NULL,
    family_name                TEXT NOT NULL,
    date_of_birth              DATE NOT NULL,
    sex                        TEXT NOT NULL,
    ethnicity_self_defined     TEXT,
    ethnicity_officer_observed TEXT,
    postcode                   TEXT,
    pnc_id                     TEXT,
    resides_in_force_area      BOOLEAN,
    created_at                 TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_family_name ON people (family_name, given_name);
CREATE INDEX people_pnc_id ON people (pnc_id);

CREATE TABLE referrals (
    id          UUID PRIMARY KEY,
    person_id   UUID NOT NULL REFERENCES people (id),
    scheme_id   TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    input_json  TEXT NOT NULL,
    referred_by UUID REFERENCES users (id),
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX referrals_person_id ON referrals (person_id);

CREATE TABLE decisions (
    id              UUID PRIMARY KEY,
    referral_id     UUID NOT NULL REFERENCES referrals (id),
    policy_id       TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    policy_hash     TEXT NOT NULL,
    advised_outcome TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    evaluation_json TEXT NOT NULL,
    decided_by      UUID NOT NULL REFERENCES users (id),
    decided_at      TIMESTAMPTZ NOT NULL,
    follows_advice  BOOLEAN NOT NULL,
    override_code   TEXT,
    override_reason TEXT,
    CONSTRAINT decisions_override_reasoned CHECK (follows_advice OR override_code IS NOT NULL)
);
CREATE INDEX decisions_referral_id ON decisions (referral_id);

CREATE TABLE case_reference_counters (
    prefix     TEXT NOT NULL,
    year       BIGINT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id                   UUID PRIMARY KEY,
    reference            TEXT NOT NULL UNIQUE,
    person_id            UUID NOT NULL REFERENCES people (id),
    referral_id          UUID REFERENCES referrals (id),
    scheme_id            TEXT NOT NULL,
    state                TEXT NOT NULL,
    version              BIGINT NOT NULL,
    navigator_id         UUID REFERENCES users (id),
    team                 TEXT,
    opened_at            TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    offence_date         DATE,
    prosecution_deadline DATE,
    contract_end         DATE,
    follow_up_until      DATE,
    retention_review_on  DATE
);
CREATE INDEX cases_person_id ON cases (person_id);
CREATE INDEX cases_navigator_id ON cases (navigator_id);
CREATE INDEX cases_state ON cases (state);

CREATE TABLE case_events (
    id             UUID PRIMARY KEY,
    case_id        UUID NOT NULL REFERENCES cases (id),
    sequence       BIGINT NOT NULL,
    actor_id       UUID REFERENCES users (id),
    occurred_at    TIMESTAMPTZ NOT NULL,
    kind           TEXT NOT NULL,
    from_state     TEXT,
    to_state       TEXT,
    reason         TEXT,
    policy_version TEXT,
    payload_json   TEXT NOT NULL,
    UNIQUE (case_id, sequence)
);

CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION reject_change();

CREATE TABLE contracts (
    id               UUID PRIMARY KEY,
    case_id          UUID NOT NULL REFERENCES cases (id),
    version          BIGINT NOT NULL,
    start_date       DATE NOT NULL,
    end_date         DATE NOT NULL,
    signed_on        DATE,
    variation_reason TEXT,
    created_by       UUID REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, version)
);

CREATE TABLE contract_conditions (
    id             UUID PRIMARY KEY,
    contract_id    UUID NOT NULL REFERENCES contracts (id),
    position       BIGINT NOT NULL,
    condition_type TEXT NOT NULL,
    description    TEXT NOT NULL,
    pathway        TEXT,
    hours          BIGINT,
    due_date       DATE,
    status         TEXT NOT NULL
);
CREATE INDEX contract_conditions_contract_id ON contract_conditions (contract_id);

CREATE TABLE appointments (
    id            UUID PRIMARY KEY,
    case_id       UUID NOT NULL REFERENCES cases (id),
    planned_at    TIMESTAMPTZ NOT NULL,
    purpose       TEXT NOT NULL,
    location      TEXT,
    attendance    TEXT CHECK (attendance IN ('attended', 'late', 'did_not_attend')),
    missed_reason TEXT CHECK (missed_reason IN ('acceptable', 'unacceptable', 'logistical')),
    notes         TEXT,
    recorded_by   UUID REFERENCES users (id),
    recorded_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX appointments_case_id ON appointments (case_id, planned_at);

CREATE TABLE provider_referrals (
    id             UUID PRIMARY KEY,
    case_id        UUID NOT NULL REFERENCES cases (id),
    provider       TEXT NOT NULL,
    pathway        TEXT NOT NULL,
    referred_by    UUID REFERENCES users (id),
    referred_at    TIMESTAMPTZ NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
    responded_at   TIMESTAMPTZ,
    response_notes TEXT
);
CREATE INDEX provider_referrals_case_id ON provider_referrals (case_id);

CREATE TABLE needs_assessments (
    id          UUID PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases (id),
    assessed_by UUID REFERENCES users (id),
    assessed_at TIMESTAMPTZ NOT NULL,
    notes       TEXT
);
CREATE INDEX needs_assessments_case_id ON needs_assessments (case_id);

CREATE TABLE needs_assessment_items (
    assessment_id UUID NOT NULL REFERENCES needs_assessments (id),
    pathway       TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('none', 'low', 'medium', 'high')),
    notes         TEXT,
    PRIMARY KEY (assessment_id, pathway)
);

CREATE TABLE trial_allocations (
    id                UUID PRIMARY KEY,
    case_id           UUID NOT NULL UNIQUE REFERENCES cases (id),
    trial_id          TEXT NOT NULL,
    stratum           TEXT NOT NULL,
    block_number      BIGINT NOT NULL,
    position_in_block BIGINT NOT NULL,
    arm               TEXT NOT NULL CHECK (arm IN ('treatment', 'control')),
    seed              TEXT NOT NULL,
    allocated_by      UUID REFERENCES users (id),
    allocated_at      TIMESTAMPTZ NOT NULL
);

-- DPA 2018 s.62 log. `sequence` is dense from 1; `hash` = SHA-256(prev_hash || canonical
-- content), see src/audit.rs. `audit_head` holds the last sequence and hash; appends update it
-- first, which serialises them.
CREATE TABLE audit_log (
    sequence      BIGINT PRIMARY KEY,
    id            UUID NOT NULL UNIQUE,
    occurred_at   TIMESTAMPTZ NOT NULL,
    actor_id      UUID,
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

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION reject_change();

CREATE TABLE audit_head (
    singleton     BOOLEAN PRIMARY KEY CHECK (singleton),
    last_sequence BIGINT NOT NULL,
    last_hash     TEXT NOT NULL
);
INSERT INTO audit_head (singleton, last_sequence, last_hash)
VALUES (TRUE, 0, '0000000000000000000000000000000000000000000000000000000000000000');
