"""How long the relay keeps each thing it can see, and why it needs it at all.

This table is the source for PROTOCOL.md's "What the relay stores" and is checked against
the database schema by a test: a new table or column without an entry here fails the
suite. Issue 5 turns the fixed lifetimes into per-organisation policy.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True, slots=True)
class Lifetime:
    table: str
    columns: tuple[str, ...]
    why: str
    lifetime: str
    purged_by: str


LIFETIMES: tuple[Lifetime, ...] = (
    Lifetime(
        "installation",
        ("relay_id", "created_at"),
        "devices sign the relay id into every challenge, so a signature is useless elsewhere",
        "as long as the installation",
        "never (not personal data)",
    ),
    Lifetime(
        "organisations",
        ("id", "created_at"),
        "every account, case and invite belongs to one organisation",
        "as long as the organisation uses Steuntje",
        "an operator",
    ),
    Lifetime(
        "accounts",
        (
            "id",
            "org_id",
            "role",
            "status",
            "created_at",
            "active_day",
            "flagged_at",
            "display_name",
        ),
        "who may sign in, with which role; no e-mail or phone number; the day of the"
        " last sign-in and an inactivity flag, so accounts nobody uses can be removed (the"
        " caregiver's workers see that day as 'laatst gebruikt'); a staff account's name"
        " as the admin gave it (never a caregiver's: caregivers stay nameless)",
        "until the account is erased; revoked accounts stay as tombstones",
        "erasure; the hourly job (a closed case past its lifetime, an unused account)",
    ),
    Lifetime(
        "devices",
        (
            "id",
            "account_id",
            "status",
            "mailbox_seq",
            "acked_seq",
            "created_at",
            "revoked_at",
            "label",
            "seen_day",
            "revoked_by",
            "revoke_reason",
        ),
        "a device's public key authenticates it and addresses its mailbox; when it was"
        " revoked, by whom and why, so the account's export and the admin list its devices"
        " over time; the label the device gave itself; the day it was last seen (cleared"
        " metadata_lifetime after it was written, and on revocation)",
        "until its account is erased; revoked keys stay so they can never sign in again",
        "erasure of its account (on request, with a closed case, after inactivity)",
    ),
    Lifetime(
        "invites",
        (
            "token_hash",
            "org_id",
            "role",
            "created_by",
            "for_account",
            "created_at",
            "expires_at",
            "used_at",
            "created_by_device",
            "voided_at",
            "kind",
            "recovery_id",
            "needs_approval",
            "approved_by",
            "approved_at",
            "end_logged",
        ),
        "a one-time invite must be checked once, and a reused one recognised; who made it,"
        " so that it dies with that device or account; a recovery invite (kind) is checked"
        " against the worker's case, may wait for a second worker's approval (recovery_id,"
        " approved_by) and has its unused end audited once (end_logged)",
        "until 7 days after it expires (used or not)",
        "the hourly expiry purge",
    ),
    Lifetime(
        "cases",
        ("id", "org_id", "caregiver_id", "created_at", "closed_at", "closed_by"),
        "who may send to whom: a caregiver and the workers on their case; who closed it,"
        " so a send to a closed case says when and by whom",
        "until the case is closed and its retention ends (closed_case_lifetime)",
        "the hourly purge removes a closed case and its caregiver's account",
    ),
    Lifetime(
        "case_members",
        ("case_id", "account_id", "added_at"),
        "the case team: routing permission only",
        "while the account is on the case",
        "hand-over, erasure",
    ),
    Lifetime(
        "envelopes",
        (
            "to_device",
            "seq",
            "from_device",
            "envelope_id",
            "body",
            "created_at",
            "expires_at",
            "case_id",
            "epoch",
        ),
        "store-and-forward: ciphertext waiting for an offline device (sealed again at rest"
        " under its epoch's key); the case it travels in, so a legal hold on that case can"
        " keep it",
        "until the recipient acknowledges it, at most 14 days (hidden at once at expiry),"
        " longer only under a legal hold",
        "acknowledgement; the hourly expiry purge",
    ),
    Lifetime(
        "sent_ids",
        ("from_device", "envelope_id", "expires_at"),
        "a resend after a lost acknowledgement must not be delivered twice",
        "as long as the envelope could have waited (14 days)",
        "the hourly expiry purge",
    ),
    Lifetime(
        "signed_prekeys",
        ("device_id", "bundle", "updated_at"),
        "others start encrypted sessions with a device while it is offline (X3DH)",
        "while the device is active; replaced on rotation, deleted on revocation",
        "rotation, revocation",
    ),
    Lifetime(
        "one_time_prekeys",
        ("device_id", "key_id", "public_key"),
        "forward secrecy for the first message of a session (X3DH)",
        "until handed to one fetcher (then deleted at once), or the device is revoked",
        "fetch, revocation",
    ),
    Lifetime(
        "legal_holds",
        (
            "id",
            "org_id",
            "case_id",
            "scope",
            "reason",
            "reference",
            "placed_by",
            "placed_at",
            "review_at",
            "ends_at",
            "lifted_at",
        ),
        "an officer suspends purging for a case under a legal obligation (Art. 17(3)(b), (e))",
        "while in force, then one year after it was lifted or ended",
        "the hourly expiry purge",
    ),
    Lifetime(
        "pending_erasures",
        ("account_id", "requested_at"),
        "an erasure asked for during a legal hold is carried out when the hold ends",
        "until the erasure is carried out",
        "the hourly job, once no hold covers the account",
    ),
    Lifetime(
        "audit_entries",
        ("idx", "time", "event", "body", "leaf_hash"),
        "accountability: who did what to whose data, when, with what outcome; pseudonyms"
        " only, never content (audit/entry.py's closed field list)",
        "the body for the audit retention (5 years), then only its leaf hash, so the log"
        " stays verifiable",
        "the hourly purge (removes the body, keeps the leaf hash)",
    ),
    Lifetime(
        "audit_nodes",
        ("level", "idx", "hash"),
        "Merkle tree hashes, so proofs and checkpoints need no full scan",
        "as long as the log",
        "never (hashes of hashes, no personal data)",
    ),
    Lifetime(
        "audit_checkpoints",
        ("size", "note", "created_at"),
        "signed tree heads an officer verifies exports against",
        "as long as the log",
        "never (a size, a hash and a signature)",
    ),
    Lifetime(
        "audit_subject_keys",
        ("subject", "key"),
        "the key behind a person's pseudonym in the audit log",
        "until the person is erased: then deleted, so their entries can no longer be tied to them",
        "erasure",
    ),
    Lifetime(
        "policies",
        ("scope", "org_id", "version", "document", "updated_at"),
        "the organisation's and cases' retention settings (no personal data)",
        "while the organisation or case exists",
        "an admin; erasure closes the caregiver's case",
    ),
    # Peer-support groups (docs/groups.md §5): routing data and the signed log, no names.
    Lifetime(
        "groups",
        ("id", "org_id", "created_at", "closed_at"),
        "a group is a retention scope and a routing unit, like a case",
        "while the group is open; removed closed_case_lifetime after it is closed",
        "the hourly purge removes a closed group with everything below",
    ),
    Lifetime(
        "group_members",
        ("group_id", "member_id", "account_id", "role", "muted_until", "joined_at"),
        "who may send and receive in the group, with which role; the only link between a"
        " group identity and an account",
        "while the person is in the group",
        "leaving, removal by a facilitator, erasure, removal of the group",
    ),
    Lifetime(
        "group_handles",
        ("handle", "group_id", "member_id", "device_id"),
        "delivering a group envelope to the real device behind a handle",
        "as the membership; a revoked device's handles go with it",
        "leaving, removal, erasure, device revocation, removal of the group",
    ),
    Lifetime(
        "group_log",
        ("group_id", "seq", "body", "sig", "created_at"),
        "the signed membership log every member checks before encrypting to anyone; holds"
        " handles, roles, ticket nonces and mute ends, no names",
        "as long as the group; a handle in it is linked to nobody once its member left",
        "removal of the group",
    ),
    Lifetime(
        "group_signed_prekeys",
        ("handle", "bundle", "updated_at"),
        "starting end-to-end sessions with a handle",
        "as the membership; replaced on rotation",
        "leaving, removal, erasure, revocation",
    ),
    Lifetime(
        "group_one_time_prekeys",
        ("handle", "key_id", "public_key"),
        "forward secrecy of a session's first message, per handle",
        "until handed out once, or the membership ends",
        "fetching, leaving, removal, erasure, revocation",
    ),
    # Notifications (docs/notifications.md): personal data of the device's owner.
    Lifetime(
        "push_subscriptions",
        (
            "device_id",
            "endpoint",
            "p256dh",
            "auth",
            "hint_key",
            "quiet_from",
            "quiet_until",
            "muted",
            "pushed_at",
            "created_at",
            "expires_at",
        ),
        "waking a closed phone with a content-free push: where its browser's push service"
        " takes pushes for it, the keys to encrypt them, its quiet hours and muted"
        " conversations (opaque hints), when it was last pushed",
        "until the device unsubscribes or stops renewing it (60 days after the app was last"
        " opened), the push service says it is gone (404/410), or the device is revoked or"
        " erased",
        "push_unsubscribe; the push service's 404/410; revocation; erasure; the hourly"
        " expiry purge",
    ),
    # Attachments (PROTOCOL.md §4.17): ciphertext the relay cannot read, and who may fetch it.
    Lifetime(
        "blobs",
        (
            "id",
            "account_id",
            "device_id",
            "size",
            "received",
            "epoch",
            "named",
            "created_at",
            "expires_at",
        ),
        "an attachment's bookkeeping: who uploaded how many bytes, for the quota, resumable"
        " uploads and the lifetime",
        "until every reader device said blob_done, or the latest expiry of the envelopes that"
        " name it (24 hours if none does); a legal hold keeps it like those envelopes",
        "blob_done of the last reader; the hourly expiry purge; erasure of the uploader",
    ),
    Lifetime(
        "blob_chunks",
        ("blob_id", "start", "body"),
        "the attachment's ciphertext in pieces, sealed at rest under an epoch key",
        "as the blob",
        "with the blob, and its epoch key destroyed once nothing sealed under it is left"
        " (what the database keeps of deleted rows: the row on leftover copies)",
    ),
    Lifetime(
        "blob_readers",
        ("blob_id", "device_id", "case_id", "done"),
        "which recipient devices may fetch a blob, the case or group for legal holds, and"
        " which already have it",
        "as the blob",
        "with the blob; erasure or removal of the device",
    ),
    Lifetime(
        "blob_secret",
        ("id", "secret"),
        "the key of the 10-minute upload and download tokens, shared by every node",
        "as long as the installation",
        "never (not personal data)",
    ),
)

# Reach figures (docs/accountability.md): counts for the municipality, no content.
REACH = (
    Lifetime(
        "reach_lists",
        ("org_id", "kind", "name", "position"),
        "the organisation's fixed lists of wijken and teams the figures are broken down by",
        "until an admin changes the lists",
        "an admin (reach_lists_set)",
    ),
    Lifetime(
        "reach_case_areas",
        ("case_id", "area"),
        "the wijk a worker tagged the case with, from the organisation's list: routing"
        " metadata for the figures per wijk",
        "as long as the case (deleted with it), or until a worker removes the tag",
        "case_set_area; removal of the case (closed, erased)",
    ),
    Lifetime(
        "reach_account_teams",
        ("account_id", "team"),
        "the team an admin gave a worker account, from the organisation's list",
        "as long as the account, or until an admin changes it",
        "account_set_team; erasure of the account",
    ),
    Lifetime(
        "reach_activity",
        ("account_id", "month"),
        "a caregiver took part in a conversation in that month (sent or took delivery of an"
        " envelope): the 'reached' count; a month, not a time",
        "400 days after the month ends (a year's report is made by March), or erasure",
        "the hourly purge; erasure of the account",
    ),
    Lifetime(
        "reach_group_activity",
        ("group_id", "month"),
        "someone sent a message in the group that month: the 'groups active' count",
        "400 days after the month ends, or removal of the group",
        "the hourly purge; removal of the group",
    ),
    Lifetime(
        "reach_contributions",
        (
            "device_id",
            "period",
            "period_end",
            "checkins_answered",
            "questionnaires_signed",
            "updated_at",
        ),
        "what a worker's device counted for a period (numbers only, never content)",
        "400 days after the period ends; replaced by the device's next count",
        "the hourly purge; erasure of the device's account",
    ),
    Lifetime(
        "reach_releases",
        ("org_id", "period", "note", "created_at"),
        "the signed, protected report per period, frozen so a second report cannot differ"
        " from the first by one person",
        "7 years (a subsidy's accounts are kept that long)",
        "the hourly purge",
    ),
)
LIFETIMES = LIFETIMES + REACH

INVITE_GRACE_S = 7 * DAY  # keep spent invites this long after expiry to answer invite_used
HOLD_RECORD_S = 365 * DAY  # how long the record of a lifted or ended hold stays
REACH_ACTIVITY_KEEP_S = 400 * DAY  # after the month (or period) ends
REACH_RELEASE_KEEP_S = 7 * 365 * DAY


def by_table() -> dict[str, Lifetime]:
    return {entry.table: entry for entry in LIFETIMES}
