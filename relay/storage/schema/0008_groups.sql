-- Steuntje schema version 8: peer-support groups (issue 8, docs/groups.md).
-- Routing data only: who may send to which handle, and the signed membership log. The
-- group's name, description, rules and every display name travel end to end encrypted and
-- are not here. Each table's lifetime is in PROTOCOL.md §8 and retention/inventory.

-- A group: its id is chosen by the creating client (it is signed into every record).
CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    created_at  INTEGER NOT NULL,
    closed_at   INTEGER
);

-- One row per person in a group. member_id is the handle they joined with. This row is
-- the only link between a group identity and an account; it goes when they leave.
CREATE TABLE group_members (
    group_id     TEXT NOT NULL REFERENCES groups(id),
    member_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    role         TEXT NOT NULL CHECK (role IN ('facilitator', 'member')),
    muted_until  INTEGER NOT NULL DEFAULT 0,
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX group_members_by_account ON group_members(account_id, group_id);

-- A handle (a device's identity for one group) and the real device it is delivered to.
CREATE TABLE group_handles (
    handle      TEXT PRIMARY KEY,
    group_id    TEXT NOT NULL REFERENCES groups(id),
    member_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL REFERENCES devices(id)
);
CREATE INDEX group_handles_by_device ON group_handles(device_id);
CREATE INDEX group_handles_by_group ON group_handles(group_id, member_id);

-- The signed membership log, record by record (crypto/group_log.py).
CREATE TABLE group_log (
    group_id    TEXT NOT NULL REFERENCES groups(id),
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    sig         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, seq)
) WITHOUT ROWID;

-- Prekeys of handles, exactly as signed_prekeys / one_time_prekeys are for devices.
CREATE TABLE group_signed_prekeys (
    handle      TEXT PRIMARY KEY REFERENCES group_handles(handle),
    bundle      BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE group_one_time_prekeys (
    handle      TEXT NOT NULL REFERENCES group_handles(handle),
    key_id      INTEGER NOT NULL,
    public_key  BLOB NOT NULL,
    PRIMARY KEY (handle, key_id)
) WITHOUT ROWID;
