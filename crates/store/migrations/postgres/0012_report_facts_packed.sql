-- The reports' read model keeps each case's facts as one compact value (`facts`, written and
-- read only by crates/store/src/report_projection.rs: a format byte, then the fields in
-- postcard's encoding) instead of a column each. A report over a million cases read twenty
-- columns of every row, and on PostgreSQL the server spent more time sending them, a value
-- at a time, than the report spent on everything else. `scheme_id` and `opened_at` stay
-- columns: reports select rows by them. The rows are a cache of one derivation (analysts
-- read cases through the exports), so the table of code names for querying it goes too.
-- Keep in step with ../sqlite/0012_report_facts_packed.sql.
--
-- The rows are derived, so the table is made again empty and every case marked stale: the
-- first report (or `checkpoint demo generate`) builds the rows anew.
DROP TABLE report_codes;
DROP TABLE report_case_facts;
CREATE TABLE report_case_facts (
    case_id   UUID PRIMARY KEY REFERENCES cases (id),
    scheme_id TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    facts     BYTEA NOT NULL
);
CREATE INDEX report_case_facts_scheme_opened ON report_case_facts (scheme_id, opened_at);

DELETE FROM report_stale_cases;
INSERT INTO report_stale_cases (case_id) SELECT id FROM cases;
