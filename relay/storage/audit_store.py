"""The audit log inside the relay's database: appends in the same transaction as the
action they record, checkpoints signed with a key kept outside the database, queries and
export bundles for privacy officers. The log's logic (entries, Merkle tree, notes, bundles)
is the pure `audit` package; this module only stores it.

Handlers describe what happened as an `AuditDraft` with raw ids; the draft becomes a
validated `AuditEntry` with keyed pseudonyms here, on the writer thread, inside the
transaction of the action: if the entry cannot be written, the action rolls back too.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import (
    ENTRY_PREFIX,
    Actor,
    AuditEntry,
    AuditObject,
    BundleError,
    Change,
    Frontier,
    Source,
    bundle_lines,
    encode,
    leaf_hash,
    log_verifier_key,
    new_signing_key,
    new_subject_key,
    pseudonym,
    sign_checkpoint,
)
from audit import decode as decode_entry
from audit.nesting import too_deep
from relay.ids import SERVER_ID

# Events after which a checkpoint is signed at once, not only on the minute.
CHECKPOINT_AT_ONCE = frozenset(
    {
        "account.status_changed",
        "device.revoked",
        "audit.queried",
        "audit.exported",
        "purge.ran",
        "erasure.done",
        "legal_hold.placed",
        "legal_hold.lifted",
        "policy.changed",
    }
)


# Query filters that name a person (an id when drafted, a pseudonym when written).
PERSON_FILTERS = frozenset({"actor", "object", "subject"})

_DEVICES_OF = "SELECT id FROM devices WHERE account_id = ?"
_CASES_OF = "SELECT id FROM cases WHERE caregiver_id = ?"
_ACCOUNT_OF = {
    "case": "SELECT caregiver_id FROM cases WHERE id = ?",
    "acc": "SELECT id FROM accounts WHERE id = ?",
    "device": "SELECT account_id FROM devices WHERE id = ?",
}


def _account_of(con: sqlite3.Connection, subject: str) -> str | None:
    """The account an account, case (its caregiver) or device id belongs to, if it exists."""
    server_id = SERVER_ID.fullmatch(subject)  # else a device id (43 characters)
    prefix = server_id.group(1) if server_id else "device"
    if prefix not in _ACCOUNT_OF:
        return None
    row = con.execute(_ACCOUNT_OF[prefix], (subject,)).fetchone()
    return None if row is None else row[0]


# Object types whose ids are made for one entry and never looked up again.
ONE_OFF_OBJECTS = frozenset({"export"})


def _unlinkable(subject: str) -> str:
    """A pseudonym under a fresh key that is dropped at once: it matches nothing, ever."""
    return pseudonym(new_subject_key(), subject)


@dataclass(frozen=True)
class AuditDraft:
    """What happened, with the relay's own ids; pseudonymised when it is written."""

    event: str
    actor_role: str = "system"
    actor: str | None = None  # account id; None for the relay itself
    device: str | None = None  # the access point: the device that acted
    objects: tuple[tuple[str, str], ...] = ()  # (type, subject id)
    outcome: str = "success"
    reason: str | None = None
    query: Mapping[str, str | int] = field(default_factory=dict)  # actor/object: subject ids
    counts: Mapping[str, int] = field(default_factory=dict)
    checks: Mapping[str, str] = field(default_factory=dict)
    on_behalf_of: str | None = None
    # (field, before, after): settings and states only (audit/change.py), never a person.
    change: tuple[tuple[str, int | str, int | str], ...] = ()


def load_signing_key(path: Path) -> bytes:
    """The organisation's log key, created (mode 0600) on first use."""
    if path.exists():
        return path.read_bytes()
    key = new_signing_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


class AuditStore:
    """Lives on the storage's writer thread; `append` runs inside an open transaction."""

    def __init__(self, signing_key: bytes, node_name: str, software: str) -> None:
        self._signing_key = signing_key
        self._node = node_name
        self._software = software
        self._frontier = Frontier.from_store(0, _no_nodes)
        self._staged: Frontier | None = None
        self.origin = ""
        self._org = ""

    def load(self, con: sqlite3.Connection, org_id: str) -> None:
        self._org = org_id
        self.origin = f"steuntje/{org_id}/audit"
        size = con.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
        self._frontier = Frontier.from_store(size, _node_reader(con))

    @property
    def verifier_key(self) -> str:
        return log_verifier_key(self.origin, self._signing_key)

    @property
    def size(self) -> int:
        return (self._staged or self._frontier).size

    # -- appending (inside the caller's transaction) -------------------------------------

    def append(self, con: sqlite3.Connection, draft: AuditDraft, now: int) -> int:
        if self._staged is None:
            self._catch_up(con)
        entry = self._entry(con, draft, now)
        body = encode(entry)
        leaf = leaf_hash(body)
        frontier, nodes = (self._staged or self._frontier).appended(leaf)
        index = frontier.size - 1
        con.execute(
            "INSERT INTO audit_entries (idx, time, event, body, leaf_hash) VALUES (?,?,?,?,?)",
            (index, now, draft.event, body, leaf),
        )
        con.executemany(
            "INSERT OR REPLACE INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
            [(n.level, n.index, n.hash) for n in nodes],
        )
        self._staged = frontier
        return index

    def _catch_up(self, con: sqlite3.Connection) -> None:
        """Another writer (`steuntje admin invite` beside a running relay) may have appended
        since; the open IMMEDIATE transaction keeps the size still while we read it."""
        last = con.execute("SELECT max(idx) FROM audit_entries").fetchone()[0]
        size = 0 if last is None else last + 1
        if size != self._frontier.size:
            self._frontier = Frontier.from_store(size, _node_reader(con))

    def committed(self) -> None:
        if self._staged is not None:
            self._frontier, self._staged = self._staged, None

    def rolled_back(self) -> None:
        self._staged = None

    def _pseudonym(self, con: sqlite3.Connection, subject: str) -> str:
        row = con.execute(
            "SELECT key FROM audit_subject_keys WHERE subject = ?", (subject,)
        ).fetchone()
        if row is None:
            key = new_subject_key()
            con.execute(
                "INSERT INTO audit_subject_keys (subject, key) VALUES (?, ?)", (subject, key)
            )
        else:
            key = row[0]
        return pseudonym(key, subject)

    def known_pseudonym(self, con: sqlite3.Connection, subject: str) -> str | None:
        """A subject's pseudonym if it has a key (for searches); never creates one."""
        row = con.execute(
            "SELECT key FROM audit_subject_keys WHERE subject = ?", (subject,)
        ).fetchone()
        return None if row is None else pseudonym(row[0], subject)

    def pseudonyms_about(self, con: sqlite3.Connection, subject: str) -> frozenset[str]:
        """The known pseudonyms of one person's account, devices and the cases they are the
        caregiver of, found from any one of those ids (a case names its caregiver, a device
        its account). Reading only: an id without a key has no pseudonym and adds nothing."""
        account = _account_of(con, subject)
        ids = {subject}
        if account is not None:
            ids.add(account)
            for sql in (_DEVICES_OF, _CASES_OF):
                ids.update(row[0] for row in con.execute(sql, (account,)))
        names = (self.known_pseudonym(con, each) for each in sorted(ids))
        return frozenset(name for name in names if name)

    def _entry(self, con: sqlite3.Connection, draft: AuditDraft, now: int) -> AuditEntry:
        from audit.events import EVENTS

        def ps(subject: str | None) -> str | None:
            return None if subject is None else self._pseudonym(con, subject)

        def searched(subject: str) -> str:
            # A search names an id; it does not act on a person. Creating a key here would
            # put an erased person's id back on disk for good (issue 13 item 9), so an id
            # without a key is recorded under a key that is never stored: the entry shows
            # that a search by person was made, and can be tied to nobody.
            return self.known_pseudonym(con, subject) or _unlinkable(subject)

        def thing(kind: str, subject: str) -> str:
            # An export id is made for this one entry and shown to nobody: a stored key
            # could never be used, so none is written (a read must not write keys).
            return _unlinkable(subject) if kind in ONE_OFF_OBJECTS else ps(subject)  # type: ignore[return-value]

        query = {
            key: (searched(value) if key in PERSON_FILTERS else value)  # type: ignore[arg-type]
            for key, value in draft.query.items()
        }
        system = draft.actor is None
        return AuditEntry(
            event=draft.event,
            action=EVENTS[draft.event].action,
            time=now,
            outcome=draft.outcome,
            actor=Actor("system", "system")
            if system
            else Actor(draft.actor_role, "user", ps(draft.actor)),
            source=Source(self._org, self._node, self._software),
            on_behalf_of=ps(draft.on_behalf_of),
            access_point=ps(draft.device),
            objects=tuple(
                AuditObject(kind, thing(kind, subject)) for kind, subject in draft.objects
            ),
            checks=dict(draft.checks),
            query=query,
            reason=draft.reason,
            counts=dict(draft.counts),
            change=tuple(Change(*item) for item in draft.change),
        )

    def forget_subjects(self, con: sqlite3.Connection, subjects: list[str]) -> None:
        """Erasure: without these keys nobody can tie the pseudonyms to the person again."""
        con.executemany(
            "DELETE FROM audit_subject_keys WHERE subject = ?", [(s,) for s in subjects]
        )

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoint(self, con: sqlite3.Connection, now: int) -> str | None:
        """Sign the current tree if it grew since the last checkpoint; returns the note."""
        self._catch_up(con)
        size = self._frontier.size
        last = con.execute("SELECT max(size) FROM audit_checkpoints").fetchone()[0]
        if size == 0 or (last is not None and last >= size):
            return None
        note = sign_checkpoint(self.origin, size, self._frontier.root(), self._signing_key)
        con.execute(
            "INSERT INTO audit_checkpoints (size, note, created_at) VALUES (?, ?, ?)",
            (size, note, now),
        )
        return note

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def entries(
        con: sqlite3.Connection,
        since: int | None,
        until: int | None,
        event: str | None,
        after: int,
        limit: int,
    ) -> list[tuple[int, AuditEntry | None]]:
        clauses, args = ["idx > ?"], [after]
        if since is not None:
            clauses.append("time >= ?")
            args.append(since)
        if until is not None:
            clauses.append("time < ?")
            args.append(until)
        if event is not None:
            clauses.append("event = ?")
            args.append(event)
        rows = con.execute(
            f"SELECT idx, body FROM audit_entries WHERE {' AND '.join(clauses)}"  # noqa: S608
            " ORDER BY idx LIMIT ?",
            (*args, limit),
        ).fetchall()
        return [(idx, None if body is None else decode_entry(body)) for idx, body in rows]

    def bundle(self, con: sqlite3.Connection) -> Iterator[str]:
        """The whole log as a verifiable JSON Lines bundle (audit/bundle.py)."""
        checkpoints = con.execute(
            "SELECT size, note FROM audit_checkpoints ORDER BY size"
        ).fetchall()
        size = checkpoints[-1][0] if checkpoints else 0
        entries = _stored_entries(con, size)
        return bundle_lines(self.origin, self.verifier_key, entries, checkpoints, _node_reader(con))


@dataclass(frozen=True)
class AuditProofs:
    """What a browser needs to check what it shows without trusting the relay at that moment:
    the latest signed checkpoint, audit paths to its root for some entries, and a consistency
    proof from a tree size the browser kept (PROTOCOL.md §4.13, `audit_proof`)."""

    checkpoint: str | None  # the signed note; None before the first checkpoint
    size: int
    paths: dict[int, list[bytes]]  # index -> audit path; indices at or past `size` left out
    consistency: list[bytes] | None  # None when no proof from `from_size` can exist


def read_proofs(con: sqlite3.Connection, indices: list[int], from_size: int | None) -> AuditProofs:
    """Proofs against the newest checkpoint, from the stored nodes (never from bodies: the
    browser computes each leaf hash itself from the entry it shows)."""
    from audit import consistency_proof, inclusion_proof

    row = con.execute(
        "SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return AuditProofs(None, 0, {}, None)
    size, note = row
    node = _node_reader(con)
    paths = {i: inclusion_proof(i, size, node) for i in sorted(set(indices)) if i < size}
    # From 0 nothing is proved, and a kept size past the newest one cannot be extended:
    # the browser judges that itself (a rollback), so there is no proof to give.
    consistency = None
    if from_size is not None and 0 < from_size <= size:
        consistency = consistency_proof(from_size, size, node)
    return AuditProofs(note, size, paths, consistency)


def _stored_entries(con: sqlite3.Connection, size: int) -> Iterator[tuple[int, bytes, bytes]]:
    """(index, body, leaf hash) rows, with the cursor closed however the reader stops: an
    open statement would block the WAL truncation when the storage closes.

    The `event` and `time` columns are copies of the body's fields, kept for the officers'
    filters; the signature covers only the body. A copy that says something else would
    hide the entry from a filtered search while every hash still verifies, so each copy is
    checked against its body here, on the way into every bundle (issue 13 item 12)."""
    cursor = con.execute(
        "SELECT idx, body, leaf_hash, time, event FROM audit_entries WHERE idx < ? ORDER BY idx",
        (size,),
    )
    try:
        for index, body, leaf, time, event in cursor:
            if body is not None and _signed_fields(body) != (event, time):
                raise BundleError(
                    f"entry {index}: the stored event or time column differs from its signed"
                    " body (it was changed in the database, which hides it from searches)"
                )
            yield index, body, leaf
    finally:
        cursor.close()


def _signed_fields(body: bytes) -> tuple[object, object] | None:
    """(event, time) as the body says, read lightly: a million entries are checked per
    export, and full validation is the offline verifier's job. None if it is no entry."""
    text = bytes(body)[len(ENTRY_PREFIX) :]
    try:
        data = None if too_deep(text.decode("utf-8")) else json.loads(text)
    except ValueError:  # not UTF-8 or not JSON
        return None
    return (data.get("event"), data.get("time")) if isinstance(data, dict) else None


def _node_reader(con: sqlite3.Connection) -> Callable[[int, int], bytes]:
    def node(level: int, index: int) -> bytes:
        row = con.execute(
            "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", (level, index)
        ).fetchone()
        if row is None:
            raise LookupError(f"audit tree node ({level}, {index}) is missing")
        return row[0]

    return node


def _no_nodes(level: int, index: int) -> bytes:
    raise LookupError("empty tree")


def describe(entry: AuditEntry | None, index: int) -> dict[str, Any]:
    """An entry as an officer's API returns it."""
    if entry is None:
        return {"index": index, "removed": True}
    return {"index": index, **entry.to_dict()}
