-- Steuntje schema version 4: crypto-shredding (issue 5).
-- An envelope's body is stored encrypted under the key of its epoch: the UTC day its
-- expiry falls on. Epoch keys live in files apart from the database; once an epoch's day
-- is over and none of its envelopes is left, the key is destroyed, and every copy of
-- those rows, in backups too, can no longer be read. NULL: stored before this version.
ALTER TABLE envelopes ADD COLUMN epoch INTEGER;
