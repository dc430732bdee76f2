-- Steuntje schema version 5: the tamper-evident audit log (issue 6).
-- Entries are leaves of an RFC 6962 Merkle tree; interior nodes are stored so proofs and
-- roots need no full scan. Bodies hold pseudonyms only (audit/entry.py's closed field
-- list); past the log's own retention a body is removed and its leaf hash kept.
CREATE TABLE audit_entries (
    idx        INTEGER PRIMARY KEY,   -- the leaf index, 0, 1, 2, ...
    time       INTEGER NOT NULL,
    event      TEXT NOT NULL,
    body       BLOB,                  -- canonical encoding; NULL once past retention
    leaf_hash  BLOB NOT NULL
);
CREATE INDEX audit_entries_by_time ON audit_entries(time);

CREATE TABLE audit_nodes (
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- Signed checkpoints (C2SP signed notes), newest last.
CREATE TABLE audit_checkpoints (
    size        INTEGER PRIMARY KEY,
    note        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- The key behind each subject's pseudonym. Erasing a person deletes their keys: their
-- entries stay verifiable but can no longer be tied to them.
CREATE TABLE audit_subject_keys (
    subject  TEXT PRIMARY KEY,
    key      BLOB NOT NULL
) WITHOUT ROWID;
