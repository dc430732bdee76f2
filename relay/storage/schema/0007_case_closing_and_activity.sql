-- Closing cases and inactive caregiver accounts (docs/retention.md).
-- cases.closed_at: when a worker or admin closed the case; its retention clock starts then
-- (closed_case_lifetime), after which the case and its caregiver's account are removed.
ALTER TABLE cases ADD COLUMN closed_at INTEGER;
-- accounts.active_day: the start (UTC) of the last day any device of the account signed in.
-- A day, not a time: enough to find accounts nobody uses, and less of a movement record.
ALTER TABLE accounts ADD COLUMN active_day INTEGER;
-- accounts.flagged_at: when the account was flagged as inactive (the notice period runs).
ALTER TABLE accounts ADD COLUMN flagged_at INTEGER;
