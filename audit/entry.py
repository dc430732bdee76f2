"""One audit entry: the NEN 7513 fields, validated, and their canonical bytes.

An ``AuditEntry`` cannot be constructed with a field that is not on the list, or a
value that is not of its field's shape: pseudonyms must look exactly like
``audit.pseudonym`` output, codes must come from ``audit.events``, numbers must be
integers. That closed list is what keeps content, ciphertext, envelope ids, tokens,
keys, names and IP addresses out of the log: there is simply no field that takes them.

``encode(entry)`` gives the bytes that are hashed into the Merkle tree::

    b"steuntje-audit-entry-v1\\n" || canonical JSON of entry.to_dict()

where canonical JSON is UTF-8 with keys sorted, no whitespace, integers only and absent
optional fields omitted (never ``null``, never an empty list or object). Every string
the validator accepts is ASCII, so this is also RFC 8785 (JCS) output. ``decode`` is
its exact inverse and refuses any other spelling of the same entry (the re-encoding
must give back the very same bytes), so one entry has one hash. docs/audit.md spells
the encoding out byte by byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit import events
from audit.change import Change, validate_changes
from audit.errors import EntryError
from audit.nesting import MAX_DEPTH, too_deep
from audit.validate import (
    check_code,
    check_int,
    check_pattern,
    check_pseudonym,
    closed_keys,
    field_name,
    plain_dict,
)

__all__ = [
    "ENTRY_PREFIX",
    "MAX_ENTRY_BYTES",
    "Actor",
    "AuditEntry",
    "AuditObject",
    "Authorisation",
    "Change",
    "Source",
    "decode",
    "encode",
]

ENTRY_PREFIX = b"steuntje-audit-entry-v1\n"
# Far above any real entry (about 500 bytes); a bound keeps decode() cheap on garbage.
MAX_ENTRY_BYTES = 4096
MAX_OBJECTS = 16
# Identifiers that are configuration, not personal data; the shapes are tight on purpose.
ORGANISATION = r"org_[A-Za-z0-9_-]{22}"  # relay.ids.SERVER_ID for organisations
NODE = r"[a-z0-9][a-z0-9-]{0,31}"
SOFTWARE = r"[0-9][0-9A-Za-z.+-]{0,31}"
POLICY = r"[a-z][a-z0-9_.-]{0,47}"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: pseudonym (absent for the relay itself), role, and who started it."""

    role: str
    initiator: str
    pseudonym: str | None = None

    def __post_init__(self) -> None:
        check_code("actor.role", self.role, events.ROLES)
        check_code("actor.initiator", self.initiator, events.INITIATORS)
        if self.role == "system":
            if self.pseudonym is not None or self.initiator != "system":
                raise EntryError("actor: the system actor has no pseudonym and initiator system")
        else:
            check_pseudonym("actor.pseudonym", self.pseudonym)


@dataclass(frozen=True, slots=True)
class AuditObject:
    """What was acted on: its type and its pseudonym."""

    type: str
    pseudonym: str

    def __post_init__(self) -> None:
        check_code("objects.type", self.type, events.OBJECT_TYPES)
        check_pseudonym("objects.pseudonym", self.pseudonym)


@dataclass(frozen=True, slots=True)
class Authorisation:
    """The basis for the action: the policy that allowed it, and that policy's version."""

    policy: str
    version: int

    def __post_init__(self) -> None:
        check_pattern("authorisation.policy", self.policy, POLICY)
        check_int("authorisation.version", self.version, minimum=1)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the entry was made: organisation id, relay node name, software version."""

    organisation: str
    node: str
    software: str

    def __post_init__(self) -> None:
        check_pattern("source.organisation", self.organisation, ORGANISATION)
        check_pattern("source.node", self.node, NODE)
        check_pattern("source.software", self.software, SOFTWARE)


@dataclass(frozen=True)
class AuditEntry:
    """One event in the audit log (NEN 7513 fields; docs/audit.md maps each one).

    ``time`` is UTC in whole Unix seconds, passed in by the caller (the package never
    reads the clock). ``checks``, ``query`` and ``counts`` are small mappings whose keys
    and values come from ``audit.events``; ``objects`` is kept in the order given.
    """

    event: str
    action: str
    time: int
    outcome: str
    actor: Actor
    source: Source
    on_behalf_of: str | None = None
    access_point: str | None = None
    objects: tuple[AuditObject, ...] = ()
    authorisation: Authorisation | None = None
    checks: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str | int] = field(default_factory=dict)
    reason: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    change: tuple[Change, ...] = ()

    def __post_init__(self) -> None:
        # Copies, so that a caller mutating its own list or dict cannot change the entry.
        object.__setattr__(self, "objects", tuple(self.objects))
        object.__setattr__(self, "change", tuple(self.change))
        for name in ("checks", "query", "counts"):
            object.__setattr__(self, name, plain_dict(name, getattr(self, name)))
        _validate(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object that ``encode`` serialises; absent fields are left out."""
        actor: dict[str, Any] = {"role": self.actor.role, "initiator": self.actor.initiator}
        if self.actor.pseudonym is not None:
            actor["pseudonym"] = self.actor.pseudonym
        data: dict[str, Any] = {
            "event": self.event,
            "action": self.action,
            "time": self.time,
            "outcome": self.outcome,
            "actor": actor,
            "source": {
                "organisation": self.source.organisation,
                "node": self.source.node,
                "software": self.source.software,
            },
        }
        optional = {
            "on_behalf_of": self.on_behalf_of,
            "access_point": self.access_point,
            "objects": [{"type": o.type, "pseudonym": o.pseudonym} for o in self.objects],
            "authorisation": (
                {"policy": self.authorisation.policy, "version": self.authorisation.version}
                if self.authorisation
                else None
            ),
            "checks": dict(self.checks),
            "query": dict(self.query),
            "reason": self.reason,
            "counts": dict(self.counts),
            "change": [
                {"field": c.field, "before": c.before, "after": c.after} for c in self.change
            ],
        }
        data.update({key: value for key, value in optional.items() if value})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        """Build an entry from its JSON object; unknown or missing fields are refused."""
        closed_keys("entry", data, REQUIRED_FIELDS, OPTIONAL_FIELDS)
        actor = data["actor"]
        closed_keys("actor", actor, ("role", "initiator"), ("pseudonym",))
        source = data["source"]
        closed_keys("source", source, ("organisation", "node", "software"), ())
        objects = data.get("objects", [])
        if not isinstance(objects, list):
            raise EntryError("objects: a non-empty list, or left out")
        for item in objects:
            closed_keys("objects[]", item, ("type", "pseudonym"), ())
        change = data.get("change", [])
        if not isinstance(change, list):
            raise EntryError("change: a non-empty list, or left out")
        for item in change:
            closed_keys("change[]", item, ("field", "before", "after"), ())
        for name in OPTIONAL_FIELDS:
            if name in data and not data[name]:
                raise EntryError(f"{name}: left out when empty, never null or empty")
        authorisation = data.get("authorisation")
        if authorisation is not None:
            closed_keys("authorisation", authorisation, ("policy", "version"), ())
            authorisation = Authorisation(**authorisation)
        return cls(
            event=data["event"],
            action=data["action"],
            time=data["time"],
            outcome=data["outcome"],
            actor=Actor(**actor),
            source=Source(**source),
            on_behalf_of=data.get("on_behalf_of"),
            access_point=data.get("access_point"),
            objects=tuple(AuditObject(**item) for item in objects),
            authorisation=authorisation,
            checks=data.get("checks", {}),
            query=data.get("query", {}),
            reason=data.get("reason"),
            counts=data.get("counts", {}),
            change=tuple(Change(**item) for item in change),
        )


REQUIRED_FIELDS = ("event", "action", "time", "outcome", "actor", "source")
OPTIONAL_FIELDS = (
    "on_behalf_of",
    "access_point",
    "objects",
    "authorisation",
    "checks",
    "query",
    "reason",
    "counts",
    "change",  # issue 19; an entry without it encodes exactly as before
)


def encode(entry: AuditEntry) -> bytes:
    """The canonical bytes of ``entry``: what is hashed into the tree and exported."""
    if not isinstance(entry, AuditEntry):
        raise EntryError("encode() takes an AuditEntry")
    text = json.dumps(entry.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data = ENTRY_PREFIX + text.encode("utf-8")
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryError(f"entry: longer than {MAX_ENTRY_BYTES} bytes")
    return data


def decode(data: bytes) -> AuditEntry:
    """The entry whose canonical bytes are exactly ``data``; anything else is refused."""
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_ENTRY_BYTES:
        raise EntryError(f"entry: bytes of at most {MAX_ENTRY_BYTES}")
    data = bytes(data)
    if not data.startswith(ENTRY_PREFIX):
        raise EntryError("entry: missing the steuntje-audit-entry-v1 prefix")
    try:
        text = data[len(ENTRY_PREFIX) :].decode("utf-8")
    except UnicodeDecodeError as error:
        raise EntryError("entry: not UTF-8 JSON") from error
    if too_deep(text):  # before json.loads, which would recurse into a RecursionError
        raise EntryError(f"entry: JSON nested deeper than {MAX_DEPTH} levels")
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_refuse_float,
            parse_constant=_refuse_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EntryError("entry: not UTF-8 JSON") from error
    if not isinstance(parsed, dict):
        raise EntryError("entry: not a JSON object")
    entry = AuditEntry.from_dict(parsed)
    if encode(entry) != data:
        raise EntryError("entry: not in canonical form (key order, spacing or escapes)")
    return entry


def _validate(entry: AuditEntry) -> None:
    rule = events.EVENTS.get(entry.event) if isinstance(entry.event, str) else None
    if rule is None:
        raise EntryError("event: not a known event code (the list is closed: docs/audit.md)")
    if entry.action != rule.action:
        raise EntryError(f"action: {entry.event} is action {rule.action}")
    check_int("time", entry.time, minimum=0)
    check_code("outcome", entry.outcome, events.OUTCOMES)
    if not isinstance(entry.actor, Actor) or not isinstance(entry.source, Source):
        raise EntryError("actor, source: an Actor and a Source")
    for name in ("on_behalf_of", "access_point"):
        if getattr(entry, name) is not None:
            check_pseudonym(name, getattr(entry, name))
    _validate_objects(entry, rule)
    if entry.authorisation is not None and not isinstance(entry.authorisation, Authorisation):
        raise EntryError("authorisation: an Authorisation")
    for key, result in entry.checks.items():
        check_code("checks", key, events.CHECKS)
        check_code(f"checks.{key}", result, events.CHECK_RESULTS)
    if entry.outcome == "success" and "fail" in entry.checks.values():
        raise EntryError("outcome: success is impossible when a check failed")
    _conditional("reason", entry.reason, rule.reason, entry.event)
    if entry.reason is not None:
        check_code("reason", entry.reason, events.REASONS)
    _conditional("query", entry.query, rule.query, entry.event)
    for key, value in entry.query.items():
        _validate_filter(key, value)
    _conditional("counts", entry.counts, rule.counts, entry.event)
    for key, count in entry.counts.items():
        check_code("counts", key, events.COUNTS)
        check_int(f"counts.{key}", count, minimum=0)
    _conditional("change", entry.change, rule.change, entry.event)
    validate_changes(entry.change)


def _validate_objects(entry: AuditEntry, rule: events.EventRule) -> None:
    if len(entry.objects) > MAX_OBJECTS:
        raise EntryError(f"objects: at most {MAX_OBJECTS}")
    if rule.object_required and not entry.objects:
        raise EntryError(f"objects: {entry.event} names at least one object")
    seen = set()
    for item in entry.objects:
        if not isinstance(item, AuditObject):
            raise EntryError("objects: AuditObject values")
        if item.type not in rule.objects:
            raise EntryError(f"objects.type: {entry.event} takes {', '.join(rule.objects)}")
        if (item.type, item.pseudonym) in seen:
            raise EntryError("objects: the same object twice")
        seen.add((item.type, item.pseudonym))


def _conditional(name: str, value: object, need: str, event: str) -> None:
    if need == events.REQUIRED and not value:
        raise EntryError(f"{name}: required for {event}")
    if need == events.FORBIDDEN and value:
        raise EntryError(f"{name}: not allowed for {event}")


def _validate_filter(key: str, value: object) -> None:
    kind = events.QUERY_FILTERS.get(key) if isinstance(key, str) else None
    if kind is None:
        raise EntryError(f"query: unknown filter {field_name(key)} (the list is closed)")
    label = f"query.{key}"
    if kind == "pseudonym":
        check_pseudonym(label, value)
    elif kind == "time":
        check_int(label, value, minimum=0)
    else:
        vocabulary = {
            "event": tuple(events.EVENTS),
            "action": tuple(events.ACTIONS),
            "outcome": events.OUTCOMES,
            "object_type": events.OBJECT_TYPES,
        }[kind]
        check_code(label, value, vocabulary)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise EntryError("entry: a key appears twice")
    return result


def _refuse_float(text: str) -> None:
    raise EntryError("entry: numbers are integers (no fractions, exponents, NaN)")
