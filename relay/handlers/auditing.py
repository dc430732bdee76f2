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


def reason_code(data: dict[str, Any], default: str | None = None, field: str = "reason") -> str:
    """A reason from the audit log's closed list (docs/audit.md): never free text.

    Without a default the field is required: where a person chooses why they act, the
    relay records their choice and never fills one in for them. The only defaults are
    `not_given` (a search, where giving no reason is allowed and the log says so) and a
    basis the action itself carries (an erasure asked for is a data_subject_request).
    """
    reason = data.get(field, default)
    if reason is None:
        raise RelayError(
            Code.MALFORMED,
            f"Field '{field}' is required: one of {', '.join(REASONS)}.",
            field=field,
        )
    if reason not in REASONS:
        raise RelayError(
            Code.MALFORMED, f"Field '{field}' must be one of {', '.join(REASONS)}.", field=field
        )
    return reason
