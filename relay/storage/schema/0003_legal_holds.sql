-- Steuntje schema version 3: legal holds (issue 5).
-- An envelope remembers the case its sender and recipient share (NULL: none, e.g. an
-- admin's message or a copy to the sender's own device), so a hold on that case can keep
-- it from being purged. The case id is routing data the relay already had at send time.
ALTER TABLE envelopes ADD COLUMN case_id TEXT;
CREATE INDEX envelopes_by_case ON envelopes(case_id) WHERE case_id IS NOT NULL;

-- A hold suspends purging for one case. No foreign key to cases: the record of a hold
-- outlives an erasure carried out after it ended.
CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    case_id     TEXT NOT NULL,
    scope       TEXT NOT NULL,      -- comma-separated: envelopes, case, accounts, audit
    reason      TEXT NOT NULL,      -- must not name people (shown to admins)
    reference   TEXT NOT NULL,      -- where the decision is recorded
    placed_by   TEXT NOT NULL,      -- the officer's account id
    placed_at   INTEGER NOT NULL,
    review_at   INTEGER NOT NULL,
    ends_at     INTEGER,
    lifted_at   INTEGER
);
CREATE INDEX legal_holds_by_case ON legal_holds(case_id);

-- An erasure asked for while a hold covers the account waits here until the hold ends.
CREATE TABLE pending_erasures (
    account_id   TEXT PRIMARY KEY,
    requested_at INTEGER NOT NULL
);
