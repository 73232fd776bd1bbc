-- The reads of crates/store/src/reporting.rs over every case (no scheme or date filter, so
-- no `selected` CTE and no join on it): what deriving the whole reports' read model reads
-- (a report reads `report_case_facts`, last below, and derives only the stale cases), for
-- `bench/reports-vs-duckdb.sh --explain`, which puts EXPLAIN QUERY PLAN (SQLite) or
-- EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL) in place of each line that names a query below.
-- The state bitmask's CASE is cut to two arms (the plan does not depend on it); keep the
-- rest in step with the Rust.

-- QUERY case_facts
WITH reached AS (SELECT e.case_id, CAST(SUM(DISTINCT CAST(CASE e.to_state WHEN 'referred' THEN 1 WHEN 'eligible' THEN 2 ELSE 0 END AS BIGINT)) AS BIGINT) AS states_reached
    FROM case_events e
    WHERE e.to_state IS NOT NULL GROUP BY e.case_id),
latest AS (SELECT k.case_id, MAX(k.version) AS version
    FROM contracts k GROUP BY k.case_id),
attended AS (SELECT a.case_id, CAST(COUNT(*) AS BIGINT) AS attended
    FROM appointments a
    WHERE a.attendance IN ('attended', 'late') GROUP BY a.case_id)
SELECT c.id AS case_id, c.person_id, c.scheme_id, c.state, c.opened_at, c.contract_end,
    c.follow_up_until,
    p.date_of_birth, p.sex, p.ethnicity_self_defined, p.ethnicity_officer_observed,
    p.postcode, COALESCE(r.states_reached, CAST(0 AS BIGINT)) AS states_reached,
    t.arm AS trial_arm, t.allocated_at, k.start_date AS contract_start,
    COALESCE(ap.attended, CAST(0 AS BIGINT)) AS appointments_attended
FROM cases c
JOIN people p ON p.id = c.person_id
LEFT JOIN reached r ON r.case_id = c.id
LEFT JOIN trial_allocations t ON t.case_id = c.id
LEFT JOIN latest l ON l.case_id = c.id
LEFT JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version
LEFT JOIN attended ap ON ap.case_id = c.id
ORDER BY c.id;

-- QUERY case_events
SELECT e.case_id, e.sequence, e.kind, e.occurred_at, e.reason, e.payload_json
FROM case_events e
WHERE e.kind IN ('screen', 'decline', 'complete', 'refer_for_prosecution', 'expire_time_limit')
AND (e.kind <> 'screen' OR e.to_state = 'ineligible')
ORDER BY e.case_id, e.sequence;

-- QUERY conditions
WITH latest AS (SELECT k.case_id, MAX(k.version) AS version
    FROM contracts k GROUP BY k.case_id)
SELECT k.case_id, cc.condition_type, CAST(COUNT(*) AS BIGINT) AS conditions
FROM latest l
JOIN contracts k ON k.case_id = l.case_id AND k.version = l.version
JOIN contract_conditions cc ON cc.contract_id = k.id
GROUP BY k.case_id, cc.condition_type ORDER BY k.case_id, cc.condition_type;

-- QUERY reoffences
SELECT r.case_id, r.arrest_date, r.offence, r.phase
FROM reoffending_events r
ORDER BY r.case_id, r.arrest_date, r.arrest_id;

-- QUERY referral_snapshots
SELECT a.case_id, r.received_at, r.input_json
FROM screening_advice a
JOIN referrals r ON r.id = a.referral_id
ORDER BY a.case_id, r.received_at, r.id;

-- QUERY report_case_facts
SELECT f.case_id, f.scheme_id, f.referral_month, f.funnel_stage, f.ending,
    f.ineligibility_reason, f.outcome_code, f.ethnicity_self_defined,
    f.ethnicity_officer_observed, f.sex, f.age_band, f.risk_band, f.previous_convictions,
    f.trial_arm, f.index_date, f.contract_end, f.monitored_until, f.appointments_attended,
    f.prosecuted, f.interventions_json
FROM report_case_facts f;
