-- A navigator's caseload reads their cases in the open states only. With the index on
-- navigator_id alone it read every case they ever held (hundreds, scattered through a large
-- table) to keep a few dozen; (navigator_id, state) finds exactly the open ones.
CREATE INDEX cases_navigator_state ON cases (navigator_id, state);
DROP INDEX cases_navigator_id;
