-- Steuntje schema version 2: the prekey directory (issue 3).
-- Public keys only; the relay cannot check or use them, the fetching client verifies every
-- signature. A one-time prekey is deleted the moment it is handed out.

CREATE TABLE signed_prekeys (
    device_id   TEXT PRIMARY KEY REFERENCES devices(id),
    bundle      BLOB NOT NULL,      -- docs/e2e.md §2.5, bytes 0..229: identity + signed prekey
    updated_at  INTEGER NOT NULL
);

CREATE TABLE one_time_prekeys (
    device_id   TEXT NOT NULL REFERENCES devices(id),
    key_id      INTEGER NOT NULL,   -- u32, never 0
    public_key  BLOB NOT NULL,      -- X25519, 32 bytes
    PRIMARY KEY (device_id, key_id)
) WITHOUT ROWID;
