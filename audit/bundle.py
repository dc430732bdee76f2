"""Writing exports: the verifiable JSON Lines bundle, and CSV for spreadsheets.

A bundle is the whole log from entry 0, in one pass, one JSON object per line (keys
sorted, no spaces, ASCII, each line ending in ``\\n``)::

    {"format":"steuntje-audit-bundle/v1","origin":…,"type":"header","verifier_key":…}
    {"body":<base64 entry bytes>,"index":0,"leaf_hash":<base64>,"type":"entry"}
    {"index":1,"leaf_hash":<base64>,"removed":true,"type":"entry"}   body past retention
    …
    {"note":<signed checkpoint>,"type":"checkpoint"}
    {"from":<size>,"proof":[<base64>…],"to":<size>,"type":"consistency"}
    {"note":<signed checkpoint>,"type":"checkpoint"}

Checkpoints come in increasing size, the last one covering every entry, each later
one preceded by the consistency proof from the one before. Entries whose body was
removed after the audit log's own retention keep their leaf hash, so the tree, every
root and every proof still verify. docs/audit.md describes each field; the officer's
side is ``audit.bundle_verify``.

``bundle_lines`` is a generator: a million entries stream out without being held in
memory, and the relay can write each line to the response as it comes.
"""

from __future__ import annotations

import base64
import datetime
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence

from audit.entry import AuditEntry
from audit.errors import BundleError
from audit.merkle import NodeReader, consistency_proof, leaf_hash

__all__ = ["BUNDLE_FORMAT", "CSV_COLUMNS", "bundle_lines", "to_csv"]

BUNDLE_FORMAT = "steuntje-audit-bundle/v1"


def bundle_lines(
    origin: str,
    verifier_key: str,
    entries: Iterable[tuple[int, bytes | None, bytes]],
    checkpoints: Sequence[tuple[int, str]],
    node: NodeReader,
) -> Iterator[str]:
    """Yield the lines of a bundle, each ending in a newline.

    ``entries`` are ``(index, body or None if removed, stored leaf hash)`` from index 0
    in order; ``checkpoints`` are ``(size, signed note)`` in increasing size, the last
    of which must equal the number of entries; ``node`` reads the tree to make the
    consistency proofs. A stored leaf hash that does not match its body raises
    ``BundleError``: the relay's own data is corrupt, and exporting it would only
    hand the officer a bundle that fails.
    """
    sizes = [size for size, _ in checkpoints]
    if not sizes or any(b <= a for a, b in itertools.pairwise(sizes)):
        raise BundleError("checkpoints: at least one, in strictly increasing size")
    yield _line(
        {"type": "header", "format": BUNDLE_FORMAT, "origin": origin, "verifier_key": verifier_key}
    )
    expected = 0
    for index, body, stored in entries:
        if index != expected:
            raise BundleError(f"entries: expected index {expected}, got {index}")
        if body is not None and leaf_hash(body) != stored:
            raise BundleError(f"entry {index}: the stored leaf hash does not match the body")
        line: dict[str, object] = {"type": "entry", "index": index, "leaf_hash": _b64(stored)}
        if body is None:
            line["removed"] = True
        else:
            line["body"] = _b64(body)
        yield _line(line)
        expected += 1
    if sizes[-1] != expected:
        raise BundleError(f"the last checkpoint covers {sizes[-1]} entries, not {expected}")
    previous = 0
    for size, note in checkpoints:
        if previous:
            proof = [_b64(h) for h in consistency_proof(previous, size, node)]
            yield _line({"type": "consistency", "from": previous, "to": size, "proof": proof})
        yield _line({"type": "checkpoint", "note": note})
        previous = size


CSV_COLUMNS = (
    "index",
    "time_utc",
    "time",
    "event",
    "action",
    "outcome",
    "actor_pseudonym",
    "actor_role",
    "initiator",
    "on_behalf_of",
    "access_point",
    "objects",
    "authorisation",
    "reason",
    "query",
    "counts",
    "checks",
    "organisation",
    "node",
    "software",
)


def to_csv(rows: Iterable[tuple[int, AuditEntry | None]]) -> str:
    """CSV (RFC 4180, CRLF line ends, header row) of ``(index, entry)`` rows.

    An entry of ``None`` is one whose body was removed after retention: the row keeps
    its index and nothing else. Multi-valued fields are ``key=value`` pairs joined
    with ``;``. Every value comes from a closed vocabulary or a fixed shape, none
    starts with ``=``, ``+``, ``-`` or ``@``, so a spreadsheet cannot read a formula in.
    """
    out = [",".join(CSV_COLUMNS)]
    for index, entry in rows:
        out.append(",".join(_quote(value) for value in _csv_row(index, entry)))
    return "\r\n".join(out) + "\r\n"


def _csv_row(index: int, entry: AuditEntry | None) -> list[str]:
    if entry is None:
        return [str(index)] + [""] * (len(CSV_COLUMNS) - 1)
    when = datetime.datetime.fromtimestamp(entry.time, tz=datetime.UTC)
    authorisation = entry.authorisation
    return [
        str(index),
        when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        str(entry.time),
        entry.event,
        entry.action,
        entry.outcome,
        entry.actor.pseudonym or "",
        entry.actor.role,
        entry.actor.initiator,
        entry.on_behalf_of or "",
        entry.access_point or "",
        ";".join(f"{o.type}={o.pseudonym}" for o in entry.objects),
        f"{authorisation.policy}@{authorisation.version}" if authorisation else "",
        entry.reason or "",
        _pairs(entry.query),
        _pairs(entry.counts),
        _pairs(entry.checks),
        entry.source.organisation,
        entry.source.node,
        entry.source.software,
    ]


def _pairs(mapping: object) -> str:
    return ";".join(f"{key}={value}" for key, value in sorted(dict(mapping).items()))


def _quote(value: str) -> str:
    # Validated values never need quoting; this keeps the CSV valid if that changes.
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _line(data: dict[str, object]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
