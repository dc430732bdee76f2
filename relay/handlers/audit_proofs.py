"""audit_proof: what an officer's browser needs to check the log it shows (issue 19 item 3).

The browser trusts the organisation's log key it pinned when the officer joined, not the
relay at this moment: it checks the newest signed checkpoint against that key, computes the
leaf hash of each entry it shows from the entry itself (docs/audit.md §3), checks the audit
path from that leaf to the checkpoint's root, and checks that the checkpoint extends the one
the device kept. This reply therefore holds only what is already public to an officer's
verifier, hashes and a signed note: no entry body, so reading it is no read of the log and
writes no entry (the `audit_query` that showed the entries was recorded).
"""

from __future__ import annotations

from typing import Any

from audit.validate import MAX_INT
from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.validate import require_object

MAX_INDICES = 500  # one page of `audit_query` at most


def _indices(data: dict[str, Any]) -> list[int]:
    value = data.get("indices")
    if (
        not isinstance(value, list)
        or len(value) > MAX_INDICES
        or any(type(i) is not int or not 0 <= i <= MAX_INT for i in value)
    ):
        raise RelayError(
            Code.MALFORMED,
            f"Field 'indices' must be a list of at most {MAX_INDICES} entry indexes.",
            field="indices",
        )
    return value


def _from_size(data: dict[str, Any]) -> int | None:
    value = data.get("from_size")
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_INT:
        raise RelayError(
            Code.MALFORMED,
            f"Field 'from_size' must be a whole number from 0 to {MAX_INT}.",
            field="from_size",
        )
    return value


async def on_audit_proof(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    if conn.device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if conn.device.role != "officer":
        raise RelayError(Code.NOT_PERMITTED)
    data = require_object(data)
    indices, from_size = _indices(data), _from_size(data)
    try:
        proofs = await ctx.storage.audit_proofs(indices, from_size)
    except LookupError:  # a tree node is missing from the database: a finding, not a bug
        raise RelayError(Code.AUDIT_LOG_DAMAGED, detail="a tree node is missing") from None
    return {
        "ok": True,
        "checkpoint": proofs.checkpoint,
        "size": proofs.size,
        "proofs": {str(i): [h.hex() for h in path] for i, path in proofs.paths.items()},
        "consistency": None
        if proofs.consistency is None
        else [h.hex() for h in proofs.consistency],
    }
