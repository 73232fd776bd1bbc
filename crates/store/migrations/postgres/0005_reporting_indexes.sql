-- Indexes for evaluation's extraction (src/reporting.rs), PostgreSQL flavour. Keep in step with
-- ../sqlite/0005_reporting_indexes.sql (same indexes, same names).
--
-- Each read of a report gets an index that covers it, so it is answered from the index alone
-- in case order (the order the reads join and return in); where a payload or a JSON document
-- must be read from the table, the index finds exactly the rows wanted and nothing else.

-- The selection: by scheme and referral date (`selected`), when a report filters.
CREATE INDEX cases_scheme_opened ON cases (scheme_id, opened_at);
CREATE INDEX cases_opened_at ON cases (opened_at);

-- Every state each case entered (`case_facts`: reached).
CREATE INDEX case_events_states ON case_events (case_id, to_state)
    WHERE to_state IS NOT NULL;

-- The events whose payloads evaluation reads (`case_events`), in case and sequence order. The
-- list must be `reporting::EVENT_KINDS` written the same way (a unit test checks): the
-- planner uses a partial index only when it can prove the query implies its condition.
CREATE INDEX case_events_reported ON case_events (case_id, sequence)
    WHERE kind IN ('screen', 'decline', 'complete', 'refer_for_prosecution', 'expire_time_limit');

-- The current contract's start and id (`case_facts`, `conditions`).
CREATE INDEX contracts_case_version ON contracts (case_id, version, start_date, id);

-- Conditions by type (`conditions`); the old single-column index is its prefix.
DROP INDEX contract_conditions_contract_id;
CREATE INDEX contract_conditions_type ON contract_conditions (contract_id, condition_type);

-- Appointments attended (`case_facts`: attended).
CREATE INDEX appointments_attendance ON appointments (case_id, attendance);

-- Reoffending events (`reoffences`); the old single-column index is its prefix.
DROP INDEX reoffending_events_case_id;
CREATE INDEX reoffending_events_case
    ON reoffending_events (case_id, arrest_date, arrest_id, offence, phase);

-- The referral each screening saw (`referral_snapshots`); the old index is its prefix.
DROP INDEX screening_advice_case_id;
CREATE INDEX screening_advice_case_referral ON screening_advice (case_id, referral_id);
