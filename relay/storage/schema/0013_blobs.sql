-- Steuntje schema version 13: attachments as blobs (issue 16, PROTOCOL.md §4.17).
-- A blob is ciphertext a device uploaded (the relay cannot read it) in pieces of at most
-- 256 KiB, each sealed at rest under the epoch key `epoch` (relay/storage/epoch_keys.py).
-- Everything goes with the uploading device (erasure: ON DELETE CASCADE from devices).
--
-- blobs.expires_at: 24 h after creation while no envelope names it (`named` = 0); then the
--   latest expiry of the envelopes that name it.
-- blob_readers: the recipient devices of those envelopes, with the case or group the
--   envelope travelled in (legal holds) and whether the device said blob_done.
-- blob_secret: the key of the upload and download tokens, shared by every node.
CREATE TABLE blobs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    size        INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    epoch       INTEGER NOT NULL,
    named       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX blobs_by_account ON blobs(account_id);
CREATE INDEX blobs_by_expiry ON blobs(expires_at);
CREATE TABLE blob_chunks (
    blob_id TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    start   INTEGER NOT NULL,
    body    BLOB NOT NULL,
    PRIMARY KEY (blob_id, start)
);
CREATE TABLE blob_readers (
    blob_id   TEXT NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    case_id   TEXT,
    done      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (blob_id, device_id)
);
CREATE TABLE blob_secret (
    id     INTEGER PRIMARY KEY,
    secret BLOB NOT NULL
);
