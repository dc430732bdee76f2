-- Steuntje schema version 11: recovery invites (issue 20, PROTOCOL.md §4.2 "Recovery").
-- A caregiver whose phone lost its storage gets back into the same account through a
-- one-time invite a worker on their case makes; redeeming it adds the new device and
-- revokes the old ones.
--
-- invites.kind: 'standard' (a new account, or a device link when for_account is set) or
--   'recovery' (for_account set, made by a worker on that account's case, not by the
--   account itself). Kept until used, voided, expired and purged like any invite, and
--   deleted with the account on erasure.
-- devices.revoked_at: when the device was revoked, so the account's export can list its
--   devices over time; NULL for devices revoked before version 11 and for active ones.
ALTER TABLE invites ADD COLUMN kind TEXT NOT NULL DEFAULT 'standard'
    CHECK (kind IN ('standard', 'recovery'));
ALTER TABLE devices ADD COLUMN revoked_at INTEGER;
CREATE INDEX invites_by_account ON invites(for_account);
