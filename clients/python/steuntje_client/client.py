"""`RelayClient`: one device's connection to the relay.

Sending: `await client.send(to, body)` returns once the relay has committed the envelope.
Sends made in the same event-loop tick travel in one `send` event (the relay's batching
contract); a lone send still leaves at once. An unanswered send raises ConnectionLost:
resend it with the same id and the relay will not deliver it twice.

Receiving: envelopes arrive on `on_envelope` (or the `envelopes` queue), in order, each
once: the relay may redeliver after a reconnect, and the client drops any sequence number
it has already passed (`last_seq`, which an app persists to stay exactly-once across
restarts). Acknowledgements are cumulative and coalesced per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import socketio

from steuntje_client.errors import ConnectionLost, RelayRefused
from steuntje_client.keys import DeviceKey, b64url, parse_invite, unb64url

MAX_ENVELOPES_PER_EVENT = 256
MAX_BYTES_PER_EVENT = 1024 * 1024
REQUEST_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Envelope:
    seq: int
    id: str
    sender: str  # device id
    body: bytes

    def __repr__(self) -> str:
        return f"Envelope(seq={self.seq}, id={self.id!r}, bytes={len(self.body)})"


OnEnvelope = Callable[[Envelope], Awaitable[None] | None]
OnNotice = Callable[[Any], Awaitable[None] | None]  # undeliverable ids, an account id


def link_account(invite: str) -> str | None:
    """The account a recovery link names (`#invite=…&account=ID`), or None."""
    _, _, fragment = invite.partition("#")
    fields = dict(p.split("=", 1) for p in fragment.split("&") if "=" in p)
    return fields.get("account") or None


def new_envelope_id() -> str:
    return b64url(secrets.token_bytes(16))


class RelayClient:
    def __init__(
        self,
        url: str,
        key: DeviceKey,
        *,
        on_envelope: OnEnvelope | None = None,
        on_undeliverable: OnNotice | None = None,
        on_devices_changed: OnNotice | None = None,
        relay_id: bytes | None = None,
        last_seq: int = 0,
    ) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.relay_id = relay_id  # pinned after the first connect; a different relay is refused
        self.last_seq = last_seq
        self.identity: dict[str, Any] = {}
        self.envelopes: asyncio.Queue[Envelope] = asyncio.Queue()
        self.revoked: str | None = None
        self.case_changes: asyncio.Queue[str] = asyncio.Queue()
        # Ids of envelopes this device sent that a recipient device has acknowledged.
        self.delivered: asyncio.Queue[list[str]] = asyncio.Queue()
        # Ids of envelopes this device sent to a device revoked by a recovery before it
        # fetched them: they will never arrive there (send them again to the new device).
        self.undeliverable: asyncio.Queue[list[str]] = asyncio.Queue()
        self.device_changes: asyncio.Queue[str] = asyncio.Queue()  # account ids
        self.prekeys_low: asyncio.Queue[int] = asyncio.Queue()  # one-time prekeys left
        # The same for a group handle of this device: (handle, one-time prekeys left).
        self.handle_prekeys_low: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self.group_changes: asyncio.Queue[str] = asyncio.Queue()  # group ids whose log grew
        self.relay_errors: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._on_envelope = on_envelope
        # Besides the queues: a SecureClient re-sends and re-reads devices (recovery.py).
        self._notice_handlers = {"undeliverable": on_undeliverable, "devices": on_devices_changed}
        self._sio = socketio.AsyncClient(reconnection=False)
        self._outgoing: list[tuple[str, str, bytes, asyncio.Future[str]]] = []
        self._blob_names: dict[str, list[str]] = {}  # envelope id -> blobs it names
        self._flush_scheduled = False
        self._ack_upto = 0
        self._acked = 0
        self._ack_scheduled = False
        self._connection_max_seq = 0
        self._pending_sends: set[asyncio.Task[None]] = set()
        self._ack_tasks: set[asyncio.Task[None]] = set()
        self._lost: asyncio.Future[None] | None = None  # resolves when this connection drops
        self._sio.on("disconnect", self._on_disconnect)
        self._sio.on("deliver", self._on_deliver)
        self._sio.on("revoked", self._on_revoked)
        self._sio.on("case_changed", self._on_case_changed)
        self._sio.on("delivered", self._on_delivered)
        self._sio.on("undeliverable", self._on_undeliverable)
        self._sio.on("relay_error", self._on_relay_error)
        self._sio.on("devices_changed", self._on_devices_changed)
        self._sio.on("prekeys_low", self._on_prekeys_low)
        self._sio.on("group_changed", self._on_group_changed)

    def __repr__(self) -> str:
        return f"RelayClient(device={self.key.device_id!r}, connected={self.connected})"

    @property
    def connected(self) -> bool:
        return self._sio.connected

    @property
    def device_id(self) -> str:
        return self.key.device_id

    @property
    def account_id(self) -> str:
        return str(self.identity.get("account", ""))

    # -- session ----------------------------------------------------------------------

    async def _open(self) -> tuple[bytes, bytes]:
        self._connection_max_seq = 0
        self._acked = 0
        self._ack_upto = 0
        self._lost = asyncio.get_running_loop().create_future()
        await self._sio.connect(self.url, transports=["websocket"], wait_timeout=10)
        reply = await self.request("challenge")
        relay_id, nonce = unb64url(reply["relay"]), unb64url(reply["nonce"])
        if self.relay_id is not None and relay_id != self.relay_id:
            await self._sio.disconnect()
            raise RelayRefused("wrong_relay", "this is not the relay this device registered with")
        self.relay_id = relay_id
        return relay_id, nonce

    async def connect(self) -> dict[str, Any]:
        """Connect and authenticate with this device's key."""
        relay_id, nonce = await self._open()
        signature = self.key.sign_challenge(relay_id, nonce)
        try:
            self.identity = await self.request(
                "auth", {"device": self.key.device_id, "signature": b64url(signature)}
            )
        except RelayRefused:
            await self._sio.disconnect()
            raise
        return self.identity

    async def register(
        self, invite: str, keep_devices: Sequence[str] | Literal["all"] | None = None
    ) -> dict[str, Any]:
        """Connect and create this device's account from an invite link or token. A
        recovery link (`…#invite=TOKEN&account=ID`) joins account ID instead and revokes
        its other devices, but `keep_devices` ("all": keep every one)."""
        _, token = parse_invite(invite)
        request: dict[str, Any] = {"invite": token, "device": self.key.device_id}
        account = link_account(invite)
        if account is not None:
            request["account"] = account
        if keep_devices:
            keep = keep_devices if keep_devices == "all" else list(keep_devices)
            request["keep_devices"] = keep
        relay_id, nonce = await self._open()
        signature = self.key.sign_challenge(relay_id, nonce)
        try:
            self.identity = await self.request(
                "register", {**request, "signature": b64url(signature)}
            )
        except RelayRefused:
            await self._sio.disconnect()
            raise
        return self.identity

    async def close(self) -> None:
        """Send any acknowledgement still owed, then disconnect."""
        self._flush_acks()
        if self._ack_tasks:
            await asyncio.gather(*self._ack_tasks, return_exceptions=True)
        if self._sio.connected:
            await self._sio.disconnect()

    async def wait_closed(self) -> None:
        await self._sio.wait()

    # -- requests ---------------------------------------------------------------------

    async def request(
        self,
        event: str,
        data: dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT_S,  # noqa: ASYNC109 (forwarded to socketio)
    ) -> dict[str, Any]:
        """Send one event and return its reply; raises RelayRefused on `ok: false`."""
        # python-socketio keeps waiting for a reply after the connection drops; racing the
        # call against `_lost` turns a dead connection into ConnectionLost at once.
        call = asyncio.ensure_future(self._sio.call(event, data or {}, timeout=timeout))
        waiters = (call,) if self._lost is None else (call, self._lost)
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if not call.done():
            call.cancel()
            raise ConnectionLost(f"connection lost before the reply to {event}")
        try:
            reply = call.result()
        except (
            socketio.exceptions.TimeoutError,
            socketio.exceptions.BadNamespaceError,
            socketio.exceptions.DisconnectedError,
        ) as exc:
            raise ConnectionLost(f"no reply to {event}") from exc
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            raise RelayRefused.from_reply(reply)
        return reply

    async def whoami(self) -> dict[str, Any]:
        return await self.request("whoami")

    async def create_invite(self, role: str) -> dict[str, Any]:
        return await self.request("invite_create", {"role": role})

    async def create_recovery(self, account_id: str) -> dict[str, Any]:
        """A worker's one-time recovery invite (24 hours) for a caregiver on their case
        whose phone lost its keys: `link` brings them back into the same account."""
        return await self.request("recovery_create", {"account": account_id})

    async def approve_recovery(self, recovery_id: str) -> dict[str, Any]:
        """A second worker's approval of a colleague's recovery invite, named by the
        `recovery_id` the colleague tells them (policy recovery_issuers)."""
        return await self.request("recovery_approve", {"recovery_id": recovery_id})

    async def link_device(self) -> dict[str, Any]:
        """An invite (valid 15 minutes) for another device of this same account."""
        return await self.request("device_link_create")

    async def upload_prekeys(
        self,
        signed: bytes | None,
        one_time: Sequence[tuple[int, bytes]] = (),
        as_handle: str | None = None,
    ) -> int:
        """Publish this device's (or, `as_handle`, one of its group handles') signed prekey
        part (docs/e2e.md §2.5, bytes 0..229) and one-time prekeys; returns how many
        one-time prekeys the relay now holds."""
        data: dict[str, Any] = {
            "one_time_ids": [key_id for key_id, _ in one_time],
            "one_time_keys": b"".join(key for _, key in one_time),
        }
        if signed is not None:
            data["signed"] = signed
        if as_handle is not None:
            data["as"] = as_handle
        return (await self.request("prekeys_upload", data))["one_time"]

    async def fetch_prekeys(self, device_id: str) -> bytes:
        """A prekey bundle (docs/e2e.md §2.5) for `device_id`; verify it before use."""
        return (await self.request("prekeys_fetch", {"device": device_id}))["bundle"]

    async def prekey_status(self, as_handle: str | None = None) -> dict[str, Any]:
        return await self.request("prekeys_status", {"as": as_handle} if as_handle else {})

    async def export(self) -> dict[str, Any]:
        """Everything the relay holds about this account: `export` (JSON) and `html`."""
        return await self.request("account_export")

    async def erase_account(self) -> None:
        """Delete this account and everything the relay holds about it (caregivers)."""
        await self.request("account_erase", {"confirm": self.account_id})

    async def cases(self) -> list[dict[str, Any]]:
        return (await self.request("case_list"))["cases"]

    async def devices_of(self, account_id: str) -> list[str]:
        return (await self.request("devices_list", {"account": account_id}))["devices"]

    async def colleagues(self) -> list[str]:
        return (await self.request("colleagues_list"))["workers"]

    async def add_case_member(self, case_id: str, account_id: str) -> None:
        await self.request("case_add_member", {"case": case_id, "account": account_id})

    # The relay requires a reason code for these (docs/audit.md): the defaults below are the
    # caller's choice made visible in the signature, for scripts and tests; pass your own.
    async def hand_over_case(
        self, case_id: str, to_account: str, reason: str = "care_handover"
    ) -> None:
        await self.request("case_handover", {"case": case_id, "to": to_account, "reason": reason})

    # Reach figures (PROTOCOL.md §4.18): the wijk is routing metadata on the case; a
    # worker's device contributes numbers only, never who.
    async def reach_lists(self) -> dict[str, Any]:
        """The organisation's `areas` and `teams`, and `case_areas` {case: wijk}."""
        return await self.request("reach_lists")

    async def set_case_area(self, case_id: str, area: str | None) -> str | None:
        """Tag a case with a wijk from the organisation's list (None: no wijk)."""
        return (await self.request("case_set_area", {"case": case_id, "area": area}))["area"]

    async def reach_contribute(
        self, period: str, checkins_answered: int, questionnaires_signed: int
    ) -> None:
        """A worker's counts for a period ("2026-09", "2026-Q3", "2026"); the newest wins."""
        await self.request(
            "reach_contribute",
            {
                "period": period,
                "checkins_answered": checkins_answered,
                "questionnaires_signed": questionnaires_signed,
            },
        )

    async def accounts(self) -> list[dict[str, Any]]:
        return (await self.request("admin_accounts"))["accounts"]

    async def set_account_status(
        self, account_id: str, status: str, reason: str = "staff_change"
    ) -> None:
        await self.request(
            "admin_set_account_status", {"account": account_id, "status": status, "reason": reason}
        )

    async def revoke_device(self, device_id: str, reason: str = "security_incident") -> None:
        await self.request("admin_revoke_device", {"device": device_id, "reason": reason})

    # -- sending ----------------------------------------------------------------------

    async def send(
        self, to: str, body: bytes, envelope_id: str | None = None, blobs: Sequence[str] = ()
    ) -> str:
        """Store `body` for device `to`; returns the envelope id once the relay committed it.
        `blobs`: the attachments the envelope names (PROTOCOL.md §4.17), so `to` may fetch them."""
        envelope_id = envelope_id or new_envelope_id()
        if blobs:
            self._blob_names[envelope_id] = list(blobs)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._outgoing.append((envelope_id, to, body, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush_sends)
        return await future

    def _flush_sends(self) -> None:
        self._flush_scheduled = False
        outgoing, self._outgoing = self._outgoing, []
        chunk: list[tuple[str, str, bytes, asyncio.Future[str]]] = []
        size = 0
        for item in outgoing:
            if chunk and (
                len(chunk) == MAX_ENVELOPES_PER_EVENT or size + len(item[2]) > MAX_BYTES_PER_EVENT
            ):
                self._start_send(chunk)
                chunk, size = [], 0
            chunk.append(item)
            size += len(item[2])
        if chunk:
            self._start_send(chunk)

    def _start_send(self, chunk: list[tuple[str, str, bytes, asyncio.Future[str]]]) -> None:
        task = asyncio.get_running_loop().create_task(self._send_chunk(chunk))
        self._pending_sends.add(task)
        task.add_done_callback(self._pending_sends.discard)

    def _descriptor(self, envelope_id: str, to: str, body: bytes) -> dict[str, Any]:
        descriptor: dict[str, Any] = {"id": envelope_id, "to": to, "size": len(body)}
        names = self._blob_names.pop(envelope_id, None)
        if names:
            descriptor["blobs"] = names
        return descriptor

    async def _send_chunk(self, chunk: list[tuple[str, str, bytes, asyncio.Future[str]]]) -> None:
        data = {
            "envelopes": [self._descriptor(eid, to, body) for eid, to, body, _ in chunk],
            "bodies": b"".join(body for _, _, body, _ in chunk),
        }
        try:
            reply = await self.request("send", data)
        except (RelayRefused, ConnectionLost) as error:
            for *_, future in chunk:
                if not future.done():
                    future.set_exception(error)
            return
        rejected = {r["id"]: r["code"] for r in reply.get("rejected", ())}
        for envelope_id, _, _, future in chunk:
            if future.done():
                continue
            if envelope_id in rejected:
                future.set_exception(RelayRefused(rejected[envelope_id]))
            else:
                future.set_result(envelope_id)

    # -- receiving --------------------------------------------------------------------

    async def _on_deliver(self, data: dict[str, Any]) -> None:
        bodies: bytes = data["bodies"]
        offset = 0
        fresh: list[Envelope] = []
        for item in data["envelopes"]:
            size = item["size"]
            seq = item["seq"]
            body = bodies[offset : offset + size]
            offset += size
            if seq > self._connection_max_seq:
                self._connection_max_seq = seq
            if seq <= self.last_seq:
                continue  # a redelivery after reconnect: already handed to the app
            self.last_seq = seq
            fresh.append(Envelope(seq, item["id"], item["from"], body))
        for envelope in fresh:
            if self._on_envelope is None:
                self.envelopes.put_nowait(envelope)
            else:
                result = self._on_envelope(envelope)
                if inspect.isawaitable(result):
                    await result
        self._ack_upto = self._connection_max_seq
        if not self._ack_scheduled:
            self._ack_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_acks)

    def _flush_acks(self) -> None:
        self._ack_scheduled = False
        if self._ack_upto > self._acked and self._sio.connected:
            self._acked = self._ack_upto
            task = asyncio.get_running_loop().create_task(self._emit_ack(self._ack_upto))
            self._ack_tasks.add(task)
            task.add_done_callback(self._ack_tasks.discard)

    async def _emit_ack(self, upto: int) -> None:
        # If disconnected, the relay redelivers later and last_seq drops the copies.
        with contextlib.suppress(socketio.exceptions.SocketIOError):
            await self._sio.emit("ack", {"upto": upto})

    async def _on_disconnect(self, *reason: Any) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    async def _on_revoked(self, data: dict[str, Any]) -> None:
        self.revoked = str(data.get("reason", "revoked"))

    async def _on_delivered(self, data: dict[str, Any]) -> None:
        ids = data.get("ids") if isinstance(data, dict) else None
        if isinstance(ids, list):
            self.delivered.put_nowait([str(i) for i in ids])

    async def _on_undeliverable(self, data: dict[str, Any]) -> None:
        ids = data.get("ids") if isinstance(data, dict) else None
        if isinstance(ids, list):
            self.undeliverable.put_nowait([str(i) for i in ids])
            await self._notice("undeliverable", [str(i) for i in ids])

    async def _on_case_changed(self, data: dict[str, Any]) -> None:
        self.case_changes.put_nowait(str(data.get("case")))

    async def _on_devices_changed(self, data: dict[str, Any]) -> None:
        self.device_changes.put_nowait(str(data.get("account")))
        await self._notice("devices", str(data.get("account")))

    async def _notice(self, kind: str, value: Any) -> None:
        handler = self._notice_handlers[kind]
        if handler is not None:
            result = handler(value)
            if inspect.isawaitable(result):
                await result

    async def _on_prekeys_low(self, data: dict[str, Any]) -> None:
        if isinstance(data.get("as"), str):  # a group handle's prekeys, not the device's
            self.handle_prekeys_low.put_nowait((data["as"], int(data.get("one_time", 0))))
            return
        self.prekeys_low.put_nowait(int(data.get("one_time", 0)))

    async def _on_group_changed(self, data: dict[str, Any]) -> None:
        if isinstance(data, dict) and isinstance(data.get("group"), str):
            self.group_changes.put_nowait(data["group"])

    async def _on_relay_error(self, data: dict[str, Any]) -> None:
        self.relay_errors.put_nowait(data)
