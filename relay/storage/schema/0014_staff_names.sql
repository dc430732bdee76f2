-- Steuntje schema version 14: staff and devices an admin recognises (issue 19 items 7, 9).
--
-- accounts.display_name: the name the organisation's admin gave a worker, officer or admin
--   ("Anja de Vries"). Organisation data about its own staff; a caregiver account never has
--   one (the relay refuses it: caregivers stay nameless on the relay).
-- devices.label: the name a device gave itself ("Telefoon Anja", at most 40 characters), so
--   the admin picks the lost phone with confidence.
-- devices.seen_day: the start (UTC) of the last day the device signed in; a day, not a time.
--   Cleared by the hourly job metadata_lifetime after it was written (a last-seen time).
-- devices.revoked_by / revoke_reason: the account that revoked the device (NULL: the relay
--   itself, a recovery) and the reason code it chose; with revoked_at, the device history.
-- cases.closed_by: the account that closed the case, so a send to it can say by whom.
ALTER TABLE accounts ADD COLUMN display_name TEXT;
ALTER TABLE devices ADD COLUMN label TEXT;
ALTER TABLE devices ADD COLUMN seen_day INTEGER;
ALTER TABLE devices ADD COLUMN revoked_by TEXT;
ALTER TABLE devices ADD COLUMN revoke_reason TEXT;
ALTER TABLE cases ADD COLUMN closed_by TEXT;
