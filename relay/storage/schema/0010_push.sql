-- Steuntje schema version 10: Web Push subscriptions (issue 15, docs/notifications.md).
-- One row per device that allowed notifications. Everything here is personal data of the
-- device's owner (the Art. 30 report lists it) and goes with the device: unsubscribing,
-- revocation (relay/storage/sqlite_cases.py), erasure (ON DELETE CASCADE from devices),
-- the push service answering 404/410, or expiry when the device stops renewing it.
--
-- endpoint, p256dh, auth: the browser's PushSubscription (RFC 8030 endpoint, RFC 8291 keys).
-- hint_key: a random key the device chose; the relay names a conversation in a push only
--   as HMAC(hint_key, sender), which the push service cannot map to anything.
-- quiet_from, quiet_until: the device's quiet hours as minutes after 00:00 UTC (the device
--   converts its local hours); NULL for none.
-- muted: hints of the conversations the device muted, comma-separated.
-- pushed_at: the last push to this device; several nodes claim a push through it, so a
--   device gets at most one per interval whichever node commits.
-- expires_at: the device renews the row whenever the app opens; a forgotten one goes.
CREATE TABLE push_subscriptions (
    device_id   TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    endpoint    TEXT NOT NULL,
    p256dh      BLOB NOT NULL,
    auth        BLOB NOT NULL,
    hint_key    BLOB NOT NULL,
    quiet_from  INTEGER,
    quiet_until INTEGER,
    muted       TEXT NOT NULL DEFAULT '',
    pushed_at   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_by_expiry ON push_subscriptions(expires_at);
