"""Publishing prekeys to the relay: one routine for a device's own keys and for a group
handle's (`as_handle`), so both keep the same rules (docs/e2e.md §2.5)."""

from __future__ import annotations

from collections.abc import Callable

from crypto import DeviceKeys
from steuntje_client.client import RelayClient

ONE_TIME_PREKEYS = 100  # published at registration and topped up to this when low
MAX_UPLOAD = 100  # one-time prekeys per prekeys_upload (the relay's limit)
SIGNED_PART_BYTES = 229  # docs/e2e.md §2.5: the signed part of a bundle


async def publish_prekeys(
    relay: RelayClient,
    keys: DeviceKeys,
    uploaded_upto: int,
    now: int,
    save_keys: Callable[[], None],
    as_handle: str | None = None,
) -> tuple[int, int]:
    """Upload the signed part, and new one-time prekeys so that the relay holds
    ONE_TIME_PREKEYS. Asks the relay's count first, so a late `prekeys_low` never makes it
    publish too many, and never uploads a one-time prekey twice (ids up to `uploaded_upto`
    were). Returns (the relay's count, the new `uploaded_upto`)."""
    relay_has = int((await relay.prekey_status(as_handle))["one_time"])
    if keys.needs_rotation(now):
        keys.rotate_signed_prekey(now)
    fresh = [
        (key_id, key.public_key)
        for key_id, key in keys.one_time_prekeys.items()
        if key_id > uploaded_upto
    ]
    missing = ONE_TIME_PREKEYS - relay_has - len(fresh)
    if missing > 0:
        fresh += keys.add_one_time_prekeys(missing)
    save_keys()  # the new private keys exist on disk before the relay hands them out
    signed = keys.bundle().to_bytes()[:SIGNED_PART_BYTES]
    count = relay_has
    for start in range(0, max(len(fresh), 1), MAX_UPLOAD):
        count = await relay.upload_prekeys(signed, fresh[start : start + MAX_UPLOAD], as_handle)
    return count, max((key_id for key_id, _ in fresh), default=uploaded_upto)
