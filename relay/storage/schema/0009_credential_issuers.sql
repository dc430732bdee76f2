-- Steuntje schema version 9: a credential dies with its issuer (issue 13, PROTOCOL.md §4.2).
-- An invite or device link names the device that made it, so revoking that device (a lost
-- phone) voids what it left outstanding, even while its account stays active.
--
-- created_by_device: the issuing device; NULL for the operator's own invites (`steuntje
--   admin invite`, the first start) and for invites made before version 9, which are
--   judged by their issuing account alone. Not a foreign key: an invite whose device is
--   gone is void anyway, and nothing that removes a device has to remember invites first.
-- voided_at: when the issuer's device was revoked, or its account disabled or revoked,
--   while the invite was outstanding. A voided invite stays void if the account is
--   enabled again; redeeming it is refused with invite_revoked.
ALTER TABLE invites ADD COLUMN created_by_device TEXT;
ALTER TABLE invites ADD COLUMN voided_at INTEGER;
CREATE INDEX invites_by_device ON invites(created_by_device);
CREATE INDEX invites_by_issuer ON invites(created_by);
