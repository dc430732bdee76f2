"""The GDPR Art. 30 table: what the relay keeps, how long, why, and what deletes it.

`steuntje retention report` prints `report(policy)`. Every table of retention/lifetimes.py
gets a row (a test checks it), with the policy's numbers where the policy governs it; then
the things that are not database tables (devices, the audit log, backups, keys).

"Status" is honest about what the relay enforces today and what is still planned; change
it here, in `_STATUS`, when the code that enforces a row lands. The legal basis is a
suggestion: the organisation, as controller, confirms it in its own record of processing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from retention.delays import PurgeSchedule, crypto_shred_delay, worst_case_delay
from retention.durations import describe, describe_at_most
from retention.lifetimes import LIFETIMES, Lifetime
from retention.policy import OFF, OrganisationPolicy

COLUMNS = (
    "data",
    "kept_for",
    "why",
    "legal_basis",
    "deleted_by",
    "worst_case_delay",
    "status",
)

BACKENDS = ("sqlite", "postgresql")

_SERVICE = "Art. 6(1)(b) or (e) GDPR: providing the support service (the controller confirms)"
_SECURITY = "Art. 32 GDPR (security)"
_BASIS: dict[str, str] = {
    "installation": "not personal data",
    "organisations": "not personal data (identifies the organisation)",
    "accounts": f"{_SERVICE}; {_SECURITY}: access control",
    "devices": f"{_SERVICE}; {_SECURITY}: authentication",
    "invites": f"{_SECURITY}: an invite works once; {_SERVICE}",
    "cases": f"{_SERVICE}; Art. 9(2)(h) GDPR where a case reveals care needs",
    "case_members": f"{_SERVICE}; Art. 9(2)(h) GDPR where a case reveals care needs",
    "envelopes": f"{_SERVICE}; content is end-to-end encrypted, the relay cannot read it",
    "sent_ids": f"{_SERVICE}; Art. 5(1)(d) GDPR: each message is delivered once",
    "signed_prekeys": f"{_SECURITY}: end-to-end encryption",
    "one_time_prekeys": f"{_SECURITY}: forward secrecy",
    "legal_holds": "Art. 17(3)(e) GDPR (legal claims); Art. 6(1)(c) or (f) GDPR",
    "pending_erasures": "Art. 17 GDPR, as limited by Art. 17(3) during a legal hold",
    "policies": "not personal data (settings)",
    "audit_entries": f"Art. 5(2) GDPR (accountability); {_SECURITY}; NEN 7513",
    "audit_nodes": "not personal data (hashes)",
    "audit_checkpoints": "not personal data (hashes and a signature)",
    "audit_subject_keys": f"Art. 5(2) GDPR (accountability); {_SECURITY}",
    "groups": f"{_SERVICE}: peer support (consent of the members, who join themselves)",
    "group_members": f"{_SERVICE}; Art. 9(2)(a) GDPR: members join a caregivers' group themselves",
    "group_handles": f"{_SERVICE}: delivery",
    "group_log": f"{_SECURITY}: members verify who can read along",
    "group_signed_prekeys": f"{_SECURITY}: end-to-end encryption",
    "group_one_time_prekeys": f"{_SECURITY}: forward secrecy",
    "push_subscriptions": f"{_SERVICE}: notifications the person switched on themselves",
    "reach_lists": "not personal data (the organisation's wijken and teams)",
    "reach_case_areas": f"{_SERVICE}: accounting to the funding municipality per wijk",
    "reach_account_teams": "organisation data about its own staff",
    "reach_activity": "Art. 6(1)(c) or (e) GDPR: accounting to the funding municipality, as"
    " protected counts only (the controller confirms)",
    "reach_group_activity": "not personal data (a group and a month)",
    "reach_contributions": "Art. 6(1)(c) or (e) GDPR: accounting to the funding municipality,"
    " numbers only",
    "reach_releases": "not personal data (protected aggregates, signed)",
}
_STATUS: dict[str, str] = {
    "installation": "enforced",
    "organisations": "enforced (an operator removes an organisation)",
    "accounts": "enforced: erasure by the caregiver or on an officer's request; removal with a"
    " closed case and after inactivity",
    "devices": "erasure by the caregiver or on an officer's request: enforced",
    "invites": "enforced with the default grace of 7 days; another grace: planned",
    "cases": "enforced: closing (case_close), and removal of closed cases by the hourly job",
    "case_members": "enforced: hand-over, erasure, removal with a closed case",
    "envelopes": "enforced, per case within the organisation's limits",
    "sent_ids": "enforced, per case within the organisation's limits",
    "signed_prekeys": "enforced",
    "one_time_prekeys": "enforced",
    "legal_holds": "enforced for every scope (envelopes, case, accounts, audit), erasure"
    " waits; the record goes a year after the end",
    "pending_erasures": "enforced",
    "policies": "enforced",
    "groups": "enforced: closing (group_close), removal of closed groups by the hourly job",
    "group_members": "enforced: leave, remove, erasure, removal with a closed group",
    "group_handles": "enforced: with the membership, and on device revocation",
    "group_log": "enforced: removed with the group",
    "group_signed_prekeys": "enforced",
    "group_one_time_prekeys": "enforced",
    "push_subscriptions": "enforced: unsubscribe, 404/410, revocation, erasure, expiry purge",
    "reach_lists": "enforced",
    "reach_case_areas": "enforced: removed with the case",
    "reach_account_teams": "enforced: removed with the account",
    "reach_activity": "enforced: the hourly purge 400 days after the month, erasure",
    "reach_group_activity": "enforced: the hourly purge, removal of the group",
    "reach_contributions": "enforced: the hourly purge, erasure",
    "reach_releases": "enforced: the hourly purge after 7 years",
    "audit_entries": "enforced: written with every recorded action, bodies removed after the"
    " audit retention",
    "audit_nodes": "enforced",
    "audit_checkpoints": "enforced (signed every minute and after officer, admin, purge,"
    " erasure and hold events)",
    "audit_subject_keys": "enforced: erasure deletes them",
}


@dataclass(frozen=True, slots=True)
class ReportRow:
    data: str
    kept_for: str
    why: str
    legal_basis: str
    deleted_by: str
    worst_case_delay: str
    status: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _table_row(entry: Lifetime, org: OrganisationPolicy, purge: str, shred: str) -> ReportRow:
    """One database table: lifetimes.py's reason, the policy's numbers where it governs."""
    kept_for, deleted_by, delay = entry.lifetime, entry.purged_by, "-"
    envelope = org.envelope_lifetime
    if entry.table == "envelopes":
        kept_for = (
            "until the recipient device acknowledges it; undelivered, at most the case's"
            f" envelope lifetime: {describe(envelope.default)} unless the case sets another,"
            f" always within {describe(envelope.minimum)} to {describe(envelope.maximum)}"
        )
        deleted_by = "acknowledgement (at once); the purge job (hidden at the moment of expiry)"
        delay = f"{purge} after expiry; in backups {shred} (epoch key destroyed)"
    elif entry.table == "sent_ids":
        kept_for = "as long as the envelope sent with it could have waited (the same lifetime)"
        deleted_by, delay = "the purge job", f"{purge} after expiry"
    elif entry.table == "invites":
        kept_for = f"until {describe(org.invite_grace)} after it expires, used or not"
        deleted_by, delay = "the purge job", f"{purge} after that"
    elif entry.table == "cases":
        kept_for = (
            f"while the case is open; removed {describe(org.closed_case_lifetime)} after it"
            " is closed, unless a legal hold covers it"
        )
        deleted_by, delay = "the purge job", f"{purge} after that"
    elif entry.table in ("groups", "group_log"):
        kept_for = (
            f"while the group is open; removed {describe(org.closed_case_lifetime)} after it"
            " is closed, unless a legal hold names it"
        )
        deleted_by, delay = "the purge job", f"{purge} after that"
    elif entry.table == "case_members":
        kept_for = (
            "while the account is on the case; removed with a closed case"
            f" ({describe(org.closed_case_lifetime)} after closing)"
        )
        deleted_by, delay = f"{entry.purged_by}; the purge job", f"{purge} after that"
    return ReportRow(
        data=f"{entry.table}: {', '.join(entry.columns)}",
        kept_for=kept_for,
        why=entry.why,
        legal_basis=_BASIS.get(entry.table, "to be recorded by the controller"),
        deleted_by=deleted_by,
        worst_case_delay=delay,
        status=_STATUS.get(entry.table, "see retention/lifetimes.py"),
    )


def _timer_text(org: OrganisationPolicy) -> str:
    timer = org.disappearing_timer
    default = "off" if timer.default == OFF else describe(timer.default)
    off = ', or "off"' if timer.off_allowed else ""
    return (
        f"the case's disappearing timer: {default} unless the case sets another, always"
        f" within {describe(timer.minimum)} to {describe(timer.maximum)}{off}"
    )


def _other_rows(org: OrganisationPolicy, purge: str, shred: str, backend: str) -> list[ReportRow]:
    """What is kept outside the relay's tables, or in tables still being built."""
    inactive = org.inactive_accounts
    return [
        ReportRow(
            "messages on people's devices (plaintext, in the app)",
            _timer_text(org),
            "storage limitation on phones and laptops, per case",
            "as envelopes; the timer carries out Art. 5(1)(e) GDPR (storage limitation)",
            "each device, by the timer (the relay cannot: it never sees content)",
            "when the app next runs after the timer ends",
            "enforced in the Python client and the web app (while they run and at their next"
            " start)",
        ),
        ReportRow(
            "server metadata: last-seen times, counters",
            f"{describe(org.metadata_lifetime)} after last written",
            "abuse prevention and operating the service",
            f"{_SECURITY}; Art. 6(1)(f) GDPR",
            "the purge job",
            f"{purge} after that",
            "the only one stored is the day of an account's last sign-in (accounts.active_day),"
            " kept while the account exists: inactive accounts are found with it",
        ),
        ReportRow(
            "inactive caregiver accounts",
            f"flagged after {describe(inactive.flag_after)} without a connection, and told;"
            f" removed {describe(inactive.remove_after)} after the flag unless they connect,"
            " or a legal hold covers one of their cases",
            "an account nobody uses should not keep existing",
            "as accounts; removal carries out Art. 5(1)(e) GDPR (storage limitation)",
            "the purge job (erasure, as on request)",
            f"{purge} after the notice period",
            "enforced: flagged (their workers see it in case_list), removed after the notice",
        ),
        ReportRow(
            "audit log entries (who did what, pseudonymised; never content)",
            f"the entry for {describe(org.audit_retention)}, then only its hash stays, so the"
            " log can still be verified; longer while a legal hold covers its case",
            "accountability: every access to personal data can be checked afterwards",
            f"Art. 5(2) GDPR (accountability); {_SECURITY}; NEN 7513 (logging of access)",
            "the purge job (removes the entry's body, keeps its Merkle leaf hash)",
            f"{purge} after that",
            "enforced (bodies removed after the retention, leaf hashes kept)",
        ),
        ReportRow(
            "epoch keys (one per day; they encrypt envelope bodies at rest)",
            "until the last envelope each can decrypt has expired, and no legal hold covers it",
            "crypto-shredding: destroying a key makes every copy of that day's ciphertext,"
            " in backups too, unreadable",
            f"{_SECURITY}; Art. 17 GDPR (erasure reaches backups)",
            "the purge job",
            f"{purge} after the last envelope of the day expired",
            "enforced: one key per expiry day, in files apart from the database",
        ),
        _leftovers_row(backend, purge, shred),
        ReportRow(
            "database backups",
            "as long as the operator keeps them; docs/deploy.md advises no longer than the"
            " envelope lifetime",
            "recovery after a disk or machine failure",
            "Art. 32(1)(c) GDPR (restoring availability after an incident)",
            "the operator's backup rotation; destroying the epoch keys makes expired"
            " ciphertext in backups unreadable",
            f"{shred} after expiry (the epoch key is destroyed)",
            "enforced through the epoch keys, if key files are not backed up with the database",
        ),
    ]


def report(
    org: OrganisationPolicy, schedule: PurgeSchedule | None = None, backend: str = "sqlite"
) -> list[ReportRow]:
    """The Art. 30 table for one organisation's policy, the relay's purge schedule and the
    database it runs on (BACKENDS): what happens to a deleted row's copies differs."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    schedule = schedule or PurgeSchedule()
    purge = f"at most {describe_at_most(worst_case_delay(schedule))}"
    shred = f"at most {describe_at_most(crypto_shred_delay(org, schedule))}"
    rows = [_table_row(entry, org, purge, shred) for entry in LIFETIMES]
    return rows + _other_rows(org, purge, shred, backend)


def _leftovers_row(backend: str, purge: str, shred: str) -> ReportRow:
    """Copies of deleted rows the database itself keeps. SQLite: the relay overwrites and
    truncates them. PostgreSQL has no secure delete and its WAL is not the relay's to
    truncate, so only what is sealed with an epoch key (envelope bodies) is covered."""
    if backend == "sqlite":
        return ReportRow(
            "copies of deleted rows inside the database file and its write-ahead log",
            "none: deleted rows are overwritten with zeros (SQLite secure_delete) and the"
            " write-ahead log is folded in and truncated after every purge",
            "a deleted row must not be recoverable from the disk",
            f"{_SECURITY}; Art. 17 GDPR",
            "the database itself; the purge job truncates the write-ahead log",
            f"{purge} after deletion",
            "enforced (tested by scanning the raw files)",
        )
    return ReportRow(
        "copies of deleted rows inside PostgreSQL: table pages, write-ahead log (WAL),"
        " WAL archives, replicas",
        "not bounded by the relay: a deleted row stays in its table's pages as a dead tuple"
        " until (auto)vacuum marks the space free and a later write reuses it; its WAL"
        " records stay until a checkpoint recycles the segment, and for as long as a WAL"
        " archive, base backup or replica keeps them",
        "a deleted row should not be recoverable from the disk",
        f"{_SECURITY}; Art. 17 GDPR",
        "PostgreSQL (autovacuum, checkpoints; the relay runs no VACUUM and cannot truncate"
        " the WAL); envelope bodies are sealed with their expiry day's epoch key, which the"
        " purge job destroys",
        f"envelope bodies: unreadable {shred} after expiry (the epoch key is destroyed);"
        " other rows (ids, memberships, audit entries): no bound the relay can promise",
        "partly enforced: crypto-shredding covers envelope bodies only; PostgreSQL offers no"
        " secure delete, so keep WAL archives and backups no longer than the envelope"
        " lifetime (docs/scaling.md)",
    )
