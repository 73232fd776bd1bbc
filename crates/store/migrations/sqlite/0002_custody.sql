-- Custody-side use cases, SQLite flavour. Keep in step with ../postgres/0002_custody.sql.

-- The policy's advice on a case: one row per evaluation (the referral, then each re-screening
-- with updated information). The person's decision over it goes into `decisions`, linked by
-- `referral_id`: each advice row has a referral snapshot of its own.
CREATE TABLE screening_advice (
    id              BLOB PRIMARY KEY NOT NULL,
    case_id         BLOB NOT NULL REFERENCES cases (id),
    referral_id     BLOB NOT NULL UNIQUE REFERENCES referrals (id),
    policy_id       TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    policy_hash     TEXT NOT NULL,
    advised_outcome TEXT NOT NULL CHECK (advised_outcome IN ('eligible', 'ineligible', 'needs_information')),
    evaluation_json TEXT NOT NULL,
    created_by      BLOB REFERENCES users (id),
    created_at      TEXT NOT NULL
);
CREATE INDEX screening_advice_case_id ON screening_advice (case_id);

-- A supervisor's countersignature of a decision that overrode the advice (one per decision).
CREATE TABLE override_countersignatures (
    decision_id      BLOB PRIMARY KEY NOT NULL REFERENCES decisions (id),
    countersigned_by BLOB NOT NULL REFERENCES users (id),
    agreed           BOOLEAN NOT NULL,
    note             TEXT,
    countersigned_at TEXT NOT NULL
);

-- A scheme's randomised trial: the seed and settings recorded before the first allocation.
-- `allocations` counts allocations made; updating it first serialises concurrent allocations.
CREATE TABLE trials (
    trial_id      TEXT PRIMARY KEY NOT NULL,
    scheme_id     TEXT NOT NULL,
    seed          TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    allocations   INTEGER NOT NULL DEFAULT 0,
    set_up_by     BLOB REFERENCES users (id),
    set_up_at     TEXT NOT NULL
);

-- Two allocations can never take the same slot of a block.
CREATE UNIQUE INDEX trial_allocations_slot
    ON trial_allocations (trial_id, stratum, block_number, position_in_block);

-- Likely-duplicate checks look people up by date of birth and by family-name prefix.
CREATE INDEX people_date_of_birth ON people (date_of_birth);
CREATE INDEX people_family_name_lower ON people (lower(family_name));
