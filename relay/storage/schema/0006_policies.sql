-- Steuntje schema version 6: retention policies as data (issue 5).
-- One row per scope: 'org:<organisation id>' for the organisation's limits and defaults,
-- 'case:<case id>' for a case's own settings (clamped to the organisation's limits when
-- used). The document is retention/serialise.py's JSON; version counts the changes.
CREATE TABLE policies (
    scope       TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organisations(id),
    version     INTEGER NOT NULL,
    document    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
