-- Steuntje schema version 15: reach figures for the municipality (issue 18,
-- docs/accountability.md "Reach figures", PROTOCOL.md §8). Counts only: no content, no names.

-- The organisation's fixed lists of wijken and teams (policy data, set by an admin).
CREATE TABLE reach_lists (
    org_id   TEXT NOT NULL REFERENCES organisations(id),
    kind     TEXT NOT NULL CHECK (kind IN ('area', 'team')),
    name     TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (org_id, kind, name)
) WITHOUT ROWID;

-- The wijk a worker tagged a case with (one of the areas above): routing metadata that
-- lives and dies with the case (ON DELETE CASCADE).
CREATE TABLE reach_case_areas (
    case_id TEXT PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    area    TEXT NOT NULL
);

-- The team an admin gave a worker account (one of the teams above); goes with the account.
CREATE TABLE reach_account_teams (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    team       TEXT NOT NULL
);

-- A caregiver account took part in a conversation in this Amsterdam month ('2026-11'):
-- one of its devices sent an envelope or took delivery of one. A month, not a time.
CREATE TABLE reach_activity (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    month      TEXT NOT NULL,
    PRIMARY KEY (account_id, month)
) WITHOUT ROWID;
CREATE INDEX reach_activity_by_month ON reach_activity(month);

-- A peer-support group in which someone sent a message in this month.
CREATE TABLE reach_group_activity (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    month    TEXT NOT NULL,
    PRIMARY KEY (group_id, month)
) WITHOUT ROWID;

-- What a worker's device counted for a period (numbers only); a new one replaces it.
CREATE TABLE reach_contributions (
    device_id             TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    period                TEXT NOT NULL,
    period_end            INTEGER NOT NULL,
    checkins_answered     INTEGER NOT NULL,
    questionnaires_signed INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (device_id, period)
) WITHOUT ROWID;

-- The signed report for a period, frozen at its first release: asking again gives the
-- same figures, so two reports for one period can never differ by one person.
CREATE TABLE reach_releases (
    org_id     TEXT NOT NULL REFERENCES organisations(id),
    period     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, period)
) WITHOUT ROWID;
