"""Describing what a connection did, for the audit log (relay/storage/audit_store.py)."""

from __future__ import annotations

from typing import Any

from audit.events import REASONS
from relay.connection import Connection
from relay.errors import Code, RelayError
from relay.storage.audit_store import AuditDraft


def by(
    conn: Connection, event: str, objects: list[tuple[str, str]] | tuple = (), **details: Any
) -> AuditDraft:
    """A draft entry with this connection's account as actor and its device as access point."""
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    return AuditDraft(event, device.role, device.account_id, device.id, tuple(objects), **details)


def reason_code(data: dict[str, Any], default: str) -> str:
    """A reason from the audit log's closed list (docs/audit.md): never free text."""
    reason = data.get("reason", default)
    if reason not in REASONS:
        raise RelayError(Code.MALFORMED, f"Field 'reason' must be one of {', '.join(REASONS)}.")
    return reason
