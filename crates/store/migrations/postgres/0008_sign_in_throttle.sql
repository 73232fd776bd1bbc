-- Failed sign-ins, for throttling password guessing (per account and per client address).
-- PostgreSQL flavour; keep in step with ../sqlite/0008_sign_in_throttle.sql.
--
-- Rows live only as long as the throttling window needs them: each new failure deletes the
-- ones older than the window, and a successful sign-in deletes its account's rows. The
-- username tried is kept only as a SHA-256 (`account_key`), so a password typed into the
-- username field is never stored; `client_key` is the client's IP address (NULL when there
-- is none, as for the CLI).
CREATE TABLE sign_in_failures (
    id          UUID PRIMARY KEY,
    account_key TEXT NOT NULL,
    client_key  TEXT,
    failed_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_account ON sign_in_failures (account_key, failed_at);
CREATE INDEX sign_in_failures_client ON sign_in_failures (client_key, failed_at);
CREATE INDEX sign_in_failures_failed_at ON sign_in_failures (failed_at);
