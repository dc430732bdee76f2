-- Steuntje schema version 1: organisations, accounts, devices, invites, cases, envelopes.
-- Every column is routing or access-control data; nothing here is message content or a name.
-- Each table's lifetime is documented in PROTOCOL.md ("What the relay stores").

-- One row: this installation's random relay id, which devices sign into every challenge.
CREATE TABLE installation (
    relay_id    BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE organisations (
    id          TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
);

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'worker', 'officer', 'caregiver')),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),
    created_at  INTEGER NOT NULL
);
CREATE INDEX accounts_by_org ON accounts(org_id, role);

-- A device is its Ed25519 public key (base64url). mailbox_seq is the last sequence number
-- handed out for envelopes to this device; acked_seq is how far the device acknowledged.
-- mailbox_seq - acked_seq bounds the mailbox size without counting rows.
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    mailbox_seq INTEGER NOT NULL DEFAULT 0,
    acked_seq   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX devices_by_account ON devices(account_id);

-- Only the SHA-256 of an invite token is stored: the database alone cannot redeem it.
-- An invite either creates a new account (for_account NULL) or links one more device to an
-- existing account (for_account set: the account's own device asked for it).
CREATE TABLE invites (
    token_hash  BLOB PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    role        TEXT NOT NULL CHECK (role IN ('admin', 'worker', 'officer', 'caregiver')),
    created_by  TEXT REFERENCES accounts(id),
    for_account TEXT REFERENCES accounts(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE cases (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    caregiver_id TEXT NOT NULL REFERENCES accounts(id),
    created_at   INTEGER NOT NULL
);

CREATE TABLE case_members (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (case_id, account_id)
) WITHOUT ROWID;
CREATE INDEX case_members_by_account ON case_members(account_id);

-- One row per undelivered envelope; deleted when the recipient acknowledges it.
CREATE TABLE envelopes (
    to_device   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    from_device TEXT NOT NULL,
    envelope_id TEXT NOT NULL,
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX envelopes_by_mailbox ON envelopes(to_device, seq);

-- Envelope ids a device has sent, so that a resend after a lost acknowledgement is never
-- delivered twice, even after the first copy was delivered and deleted. Kept until the
-- envelope itself would have expired; holds neither recipient nor content.
CREATE TABLE sent_ids (
    from_device TEXT NOT NULL,
    envelope_id TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (from_device, envelope_id)
) WITHOUT ROWID;
