-- The reports' read model stores its categories as small integers instead of their names: a
-- report over a million cases then reads numbers, with no text to copy, check and look up for
-- each of eight columns of every row. `report_codes` names every code, for anyone querying the
-- read model directly (join on kind = the column's name). The numbers are those of
-- crates/app/src/report_codes.rs, and a test checks this table against it.
-- Keep in step with ../sqlite/0011_report_codes.sql.
--
-- The rows are derived, so the table is made again empty and every case marked stale: the
-- first report (or `checkpoint demo generate`) builds the rows anew.
DROP TABLE report_case_facts;
CREATE TABLE report_case_facts (
    case_id                    UUID PRIMARY KEY REFERENCES cases (id),
    scheme_id                  TEXT NOT NULL,
    opened_at                  TIMESTAMPTZ NOT NULL,
    referral_month             TEXT NOT NULL,
    funnel_stage               SMALLINT NOT NULL,
    ending                     SMALLINT,
    ineligibility_reason       TEXT,
    -- The Home Office outcome code itself (a number).
    outcome_code               SMALLINT,
    ethnicity_self_defined     SMALLINT,
    ethnicity_officer_observed SMALLINT,
    sex                        SMALLINT NOT NULL,
    age_band                   SMALLINT NOT NULL,
    risk_band                  TEXT,
    previous_convictions       BIGINT,
    trial_arm                  SMALLINT,
    index_date                 DATE,
    contract_end               DATE,
    monitored_until            DATE,
    appointments_attended      BIGINT NOT NULL,
    prosecuted                 BOOLEAN NOT NULL,
    -- The current contract's conditions by type, as a JSON object (NULL when none).
    interventions_json         TEXT
);
CREATE INDEX report_case_facts_scheme_opened ON report_case_facts (scheme_id, opened_at);

DELETE FROM report_stale_cases;
INSERT INTO report_stale_cases (case_id) SELECT id FROM cases;

CREATE TABLE report_codes (
    kind TEXT NOT NULL,
    code SMALLINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);
INSERT INTO report_codes (kind, code, name) VALUES
    ('funnel_stage', 0, 'referred'),
    ('funnel_stage', 1, 'eligible'),
    ('funnel_stage', 2, 'offered'),
    ('funnel_stage', 3, 'accepted'),
    ('ending', 0, 'ineligible'),
    ('ending', 1, 'declined'),
    ('ending', 2, 'completed'),
    ('ending', 3, 'failed'),
    ('ending', 4, 'withdrawn'),
    ('ethnicity_self_defined', 0, 'asian_bangladeshi'),
    ('ethnicity_self_defined', 1, 'asian_chinese'),
    ('ethnicity_self_defined', 2, 'asian_indian'),
    ('ethnicity_self_defined', 3, 'asian_pakistani'),
    ('ethnicity_self_defined', 4, 'asian_other'),
    ('ethnicity_self_defined', 5, 'black_african'),
    ('ethnicity_self_defined', 6, 'black_caribbean'),
    ('ethnicity_self_defined', 7, 'black_other'),
    ('ethnicity_self_defined', 8, 'mixed_white_and_asian'),
    ('ethnicity_self_defined', 9, 'mixed_white_and_black_african'),
    ('ethnicity_self_defined', 10, 'mixed_white_and_black_caribbean'),
    ('ethnicity_self_defined', 11, 'mixed_other'),
    ('ethnicity_self_defined', 12, 'white_british'),
    ('ethnicity_self_defined', 13, 'white_irish'),
    ('ethnicity_self_defined', 14, 'white_gypsy_or_irish_traveller'),
    ('ethnicity_self_defined', 15, 'white_roma'),
    ('ethnicity_self_defined', 16, 'white_other'),
    ('ethnicity_self_defined', 17, 'other_arab'),
    ('ethnicity_self_defined', 18, 'other_any'),
    ('ethnicity_self_defined', 19, 'not_stated'),
    ('ethnicity_officer_observed', 0, 'asian'),
    ('ethnicity_officer_observed', 1, 'black'),
    ('ethnicity_officer_observed', 2, 'mixed'),
    ('ethnicity_officer_observed', 3, 'white'),
    ('ethnicity_officer_observed', 4, 'other'),
    ('sex', 0, 'female'),
    ('sex', 1, 'male'),
    ('sex', 2, 'other'),
    ('sex', 3, 'not_known'),
    ('age_band', 0, '10-17'),
    ('age_band', 1, '18-24'),
    ('age_band', 2, '25-34'),
    ('age_band', 3, '35-49'),
    ('age_band', 4, '50+'),
    ('age_band', 5, 'unknown'),
    ('trial_arm', 0, 'treatment'),
    ('trial_arm', 1, 'control');
