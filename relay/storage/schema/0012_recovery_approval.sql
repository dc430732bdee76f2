-- Steuntje schema version 12: who may issue a recovery invite, and its end in the audit
-- log (issue 20, PROTOCOL.md §4.2 "Recovery").
--
-- invites.recovery_id: a short code for a recovery invite (not the token: it cannot be
--   redeemed), so the worker who made it can name it to a colleague who approves it.
-- invites.needs_approval: 1 when the organisation's policy (recovery_issuers =
--   case_workers_with_approval) wanted a second worker's approval when it was made.
-- invites.approved_by / approved_at: that second worker, and when.
-- invites.end_logged: when the hourly job wrote recovery.expired for an unused recovery
--   invite, so it is written once.
ALTER TABLE invites ADD COLUMN recovery_id TEXT;
ALTER TABLE invites ADD COLUMN needs_approval INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invites ADD COLUMN approved_by TEXT;
ALTER TABLE invites ADD COLUMN approved_at INTEGER;
ALTER TABLE invites ADD COLUMN end_logged INTEGER;
CREATE UNIQUE INDEX invites_by_recovery_id ON invites(recovery_id);
