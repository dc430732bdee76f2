"""admin_set_display_name, device_label: names people recognise (issue 19 item 7).

An admin names the organisation's workers, officers and admins; caregivers stay nameless on
the relay (`caregiver_nameless`): the names workers give them live on the workers' devices
only. A staff member's device names itself ("Telefoon Anja"), so the admin can tell a lost
phone from a laptop; a caregiver's device does not (its label would carry their name).
Neither ever goes into the audit log or the relay's own logs: the log says only that a name
or label changed and who changed it (account.display_name_set, device.label_set).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from relay.connection import Connection
from relay.context import RelayContext
from relay.errors import Code, RelayError
from relay.handlers.admin import _admin
from relay.handlers.auditing import by
from relay.ids import SERVER_ID
from relay.validate import require_object, text_field

MAX_NAME = 60
MAX_LABEL = 40


def short_text(data: dict[str, Any], field: str, longest: int) -> str | None:
    """A short line of text a person typed: trimmed, at most `longest` characters, no line
    breaks or other control characters; null or empty clears it (None)."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RelayError(Code.MALFORMED, f"Field {field!r} must be text or null.", field=field)
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > longest or any(unicodedata.category(c).startswith("C") for c in value):
        raise RelayError(
            Code.MALFORMED,
            f"Field {field!r} must be one line of at most {longest} characters.",
            field=field,
        )
    return value or None


async def on_admin_set_display_name(
    ctx: RelayContext, conn: Connection, data: Any
) -> dict[str, Any]:
    admin = _admin(conn)
    data = require_object(data)
    account_id = text_field(data, "account", SERVER_ID)
    name = short_text(data, "name", MAX_NAME)
    # That it changed and by whom, in the change's own transaction (a refused one writes
    # neither).
    entry = by(conn, "account.display_name_set", [("account", account_id)])
    await ctx.storage.set_display_name(admin.org_id, account_id, name, ctx.now(), [entry])
    return {"ok": True, "account": account_id, "name": name}


async def on_device_label(ctx: RelayContext, conn: Connection, data: Any) -> dict[str, Any]:
    device = conn.device
    if device is None:
        raise RelayError(Code.NOT_AUTHENTICATED)
    if device.role == "caregiver":  # "Telefoon Ria" would put the caregiver's name here
        raise RelayError(Code.CAREGIVER_NAMELESS)
    label = short_text(require_object(data), "label", MAX_LABEL)
    objects = [("device", device.id), ("account", device.account_id)]
    entry = by(conn, "device.label_set", objects)
    await ctx.storage.set_device_label(device.id, label, ctx.now(), [entry])
    return {"ok": True, "device": device.id, "label": label}
