"""What a SecureClient does when a correspondent's devices change, e.g. after a recovery
(issue 20, PROTOCOL.md §4.2 "Recovery"): a caregiver whose phone lost its keys comes back
on a new phone in the same account, and the old phone is revoked.

- `DeviceBook` remembers the devices last seen for each account and turns `devices_changed`
  into a `DevicesChanged` (added and removed devices): the app shows "nieuwe telefoon" and
  asks to compare the new safety number (docs/e2e.md §9), as Signal does after a reinstall.
- `InFlight` remembers, for a while, what each envelope to another account carried, so that
  when the relay says an envelope will never arrive (`undeliverable`: it waited for a device
  the recovery revoked) the message goes again to the account's devices that did not have
  it. The receiver sees it once: the revoked device never fetched it.

The relay and the encryption come in as functions (SecureClient passes its own), so this
module does no I/O of its own.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from steuntje_client.errors import ClientError, RelayRefused

IN_FLIGHT_LIMIT = 1000  # recent envelopes remembered; older ones are assumed delivered
# Waits between tries when a recovered device has not published its prekeys yet (~30 s).
RESEND_BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


@dataclass(frozen=True, slots=True)
class DevicesChanged:
    account_id: str
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resend:
    """One message to send again: to `account_id`'s devices not in `had_it`."""

    account_id: str
    plaintext: bytes
    had_it: frozenset[str]


class DeviceBook:
    def __init__(self) -> None:
        self._known: dict[str, frozenset[str]] = {}

    def saw(self, account_id: str, devices: list[str]) -> DevicesChanged | None:
        """Record the account's devices; what changed since last time (None: nothing, or
        the first look, which is no change to anyone)."""
        now, before = frozenset(devices), self._known.get(account_id)
        self._known[account_id] = now
        if before is None or before == now:
            return None
        return DevicesChanged(account_id, tuple(sorted(now - before)), tuple(sorted(before - now)))


class InFlight:
    def __init__(self, limit: int = IN_FLIGHT_LIMIT) -> None:
        self._limit = limit
        self._sent: OrderedDict[str, Resend] = OrderedDict()

    def __repr__(self) -> str:
        return f"InFlight(envelopes={len(self._sent)})"

    def note(self, envelope_id: str, account_id: str, plaintext: bytes, targets: list[str]) -> None:
        self._sent[envelope_id] = Resend(account_id, plaintext, frozenset(targets))
        while len(self._sent) > self._limit:
            self._sent.popitem(last=False)

    def undeliverable(self, envelope_ids: list[str]) -> list[Resend]:
        """The messages to send again, each once (several envelopes may carry one)."""
        found: dict[tuple[str, bytes], Resend] = {}
        for envelope_id in envelope_ids:
            resend = self._sent.pop(envelope_id, None)
            if resend is not None:
                found.setdefault((resend.account_id, resend.plaintext), resend)
        return list(found.values())


async def resend_to_new_devices(
    resend: Resend,
    devices_of: Callable[[str], Awaitable[list[str]]],
    encrypt_for: Callable[[str, bytes], Awaitable[bytes]],
    send: Callable[[str, bytes], Awaitable[str]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[str]:
    """Send `resend` to its account's devices that did not have it (the device a recovery
    added); returns the new envelope ids. The relay tells senders before the new device has
    published its prekeys, so a missing bundle is waited for, a while."""
    had_it, sent = set(resend.had_it), []
    for delay in RESEND_BACKOFF_S:
        try:
            for device in [d for d in await devices_of(resend.account_id) if d not in had_it]:
                sent.append(await send(device, await encrypt_for(device, resend.plaintext)))
                had_it.add(device)
            return sent
        except RelayRefused as refused:
            if refused.code != "no_prekeys":
                return sent  # erased, or no longer someone we may write to
            await sleep(delay)  # a retry with back-off, not synchronisation
        except ClientError:
            return sent  # connection lost: the app still shows it as not delivered
    return sent
