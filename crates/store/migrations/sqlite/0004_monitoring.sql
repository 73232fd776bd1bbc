-- Reoffending monitoring: the arrest feed linked to people known to the programme.
-- SQLite flavour; keep in step with ../postgres/0004_monitoring.sql (same tables, same
-- meaning).

-- Each trained linkage model, kept so every link can be reproduced with the model that made
-- it. Versions count up from 1; a new version is written by training and by clerical feedback.
CREATE TABLE linkage_models (
    version         INTEGER PRIMARY KEY NOT NULL,
    -- `em` (unsupervised) or `em+clerical` (m re-estimated with confirmed/rejected labels).
    method          TEXT NOT NULL,
    model_json      TEXT NOT NULL,
    people          INTEGER NOT NULL,
    arrests         INTEGER NOT NULL,
    labels          INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

-- Every row of every imported feed that was read successfully, linked or not: the unique
-- (source, arrest_ref) makes re-imports add nothing. `arrest_ref` is the feed's reference,
-- or `sha256:<row hash>` when the feed has none.
CREATE TABLE arrests (
    id               BLOB PRIMARY KEY NOT NULL,
    source           TEXT NOT NULL,
    arrest_ref       TEXT NOT NULL,
    given_name       TEXT NOT NULL,
    surname          TEXT NOT NULL,
    dob              TEXT NOT NULL,
    postcode         TEXT NOT NULL,
    pnc_id           TEXT NOT NULL,
    arrest_date      TEXT NOT NULL,
    offence          TEXT NOT NULL,
    band             TEXT NOT NULL CHECK (band IN ('link', 'review', 'no_link')),
    best_person_id   BLOB REFERENCES people (id),
    best_probability REAL,
    model_version    INTEGER NOT NULL REFERENCES linkage_models (version),
    imported_at      TEXT NOT NULL,
    CONSTRAINT arrests_source_ref_key UNIQUE (source, arrest_ref)
);

-- An arrest recorded against a person: automatically (above the link threshold) or by a
-- clerical confirmation. The explanation is the per-field waterfall that justified it.
CREATE TABLE arrest_links (
    arrest_id         BLOB PRIMARY KEY NOT NULL REFERENCES arrests (id),
    person_id         BLOB NOT NULL REFERENCES people (id),
    match_probability REAL NOT NULL,
    match_weight      REAL NOT NULL,
    explanation_json  TEXT NOT NULL,
    via               TEXT NOT NULL CHECK (via IN ('automatic', 'clerical')),
    decided_by        BLOB REFERENCES users (id),
    model_version     INTEGER NOT NULL REFERENCES linkage_models (version),
    linked_at         TEXT NOT NULL
);
CREATE INDEX arrest_links_person_id ON arrest_links (person_id);

-- Pairs between the thresholds, for a person to decide. One per arrest: its best candidate.
CREATE TABLE clerical_reviews (
    arrest_id         BLOB PRIMARY KEY NOT NULL REFERENCES arrests (id),
    person_id         BLOB NOT NULL REFERENCES people (id),
    match_probability REAL NOT NULL,
    match_weight      REAL NOT NULL,
    explanation_json  TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    model_version     INTEGER NOT NULL REFERENCES linkage_models (version),
    queued_at         TEXT NOT NULL,
    decided_by        BLOB REFERENCES users (id),
    decided_at        TEXT,
    reason            TEXT
);
CREATE INDEX clerical_reviews_status ON clerical_reviews (status, queued_at, arrest_id);

-- A linked arrest that counts as reoffending for a case: during its contract or within its
-- follow-up window. The reports count these rows.
CREATE TABLE reoffending_events (
    id          BLOB PRIMARY KEY NOT NULL,
    arrest_id   BLOB NOT NULL REFERENCES arrests (id),
    case_id     BLOB NOT NULL REFERENCES cases (id),
    person_id   BLOB NOT NULL REFERENCES people (id),
    phase       TEXT NOT NULL CHECK (phase IN ('in_contract', 'follow_up')),
    arrest_date TEXT NOT NULL,
    offence     TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    CONSTRAINT reoffending_events_arrest_case_key UNIQUE (arrest_id, case_id)
);
CREATE INDEX reoffending_events_case_id ON reoffending_events (case_id);
CREATE INDEX people_created_at ON people (created_at);
