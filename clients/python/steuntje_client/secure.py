"""`SecureClient`: end-to-end encrypted messaging on top of `RelayClient`.

Every message is encrypted separately for every active device of the recipient account and
for the sender's own other devices (pairwise fan-out, docs/e2e.md), with one Double Ratchet
session per peer device. Sessions start from prekey bundles fetched from the relay, which
are verified against the device id the relay routes to: the relay can withhold keys, never
substitute them. The relay sees only ciphertext, padded to size buckets.

    client = SecureClient(url, DeviceKeys.generate(now), folder=Path("~/.steuntje"))
    await client.register(invite_link)          # also publishes prekeys
    await client.send_text(account_id, "Ik denk aan je")
    message = await client.messages.get()       # Received(kind="text", …)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto import (
    DecryptionError,
    DeviceKeys,
    PrekeyBundle,
    Session,
    safety_number,
)
from crypto import start_session as x3dh_start
from steuntje_client.client import Envelope, RelayClient
from steuntje_client.disappearing import Disappearing
from steuntje_client.errors import ClientError, RelayRefused
from steuntje_client.groups import Groups
from steuntje_client.keys import DeviceKey, b64url
from steuntje_client.messages import InvalidMessage, Message, decode, encode
from steuntje_client.prekeys import publish_prekeys
from steuntje_client.recovery import (
    DeviceBook,
    DevicesChanged,
    InFlight,
    Resend,
    resend_to_new_devices,
)
from steuntje_client.session_store import SessionStore, open_envelope


@dataclass(frozen=True, slots=True)
class Received:
    """A decrypted message and the device that sent it (as the relay routed it)."""

    message: Message
    sender_device: str
    seq: int

    @property
    def kind(self) -> str:
        return self.message.kind

    def __repr__(self) -> str:
        return f"Received(kind={self.kind!r}, seq={self.seq})"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An envelope from a device that did not decrypt and made this client start a new
    session with it (docs/e2e.md §7.4 rule 6): what it, and any message of the same broken
    chain, said is lost. The app tells the person "Een bericht kon niet worden gelezen";
    the content is never known, so none is kept."""

    sender_device: str
    seq: int


def _blobs_named(plaintext: bytes) -> tuple[str, ...]:
    """The blob an `attachment` message names, so its envelopes let the recipient fetch it."""
    try:
        message = decode(plaintext)
    except InvalidMessage:
        return ()
    return (message.fields["blob"],) if message.kind == "attachment" else ()


class UntrustedBundle(ClientError):
    """The relay handed out a prekey bundle that does not belong to the device asked for."""


class SecureClient:
    def __init__(
        self,
        url: str,
        keys: DeviceKeys,
        *,
        folder: Path | None = None,
        clock: Callable[[], float] = time.time,
        last_seq: int = 0,
    ) -> None:
        self.keys = keys
        self._folder = folder
        self._clock = clock
        self.sessions = SessionStore(folder / "sessions" if folder else None)
        self.relay = RelayClient(
            url,
            DeviceKey.from_seed(keys.identity.signing_seed),
            on_envelope=self._on_envelope,
            on_undeliverable=self._on_undeliverable,
            on_devices_changed=self._on_devices_changed,
            last_seq=last_seq,
        )
        # A correspondent's new device (a recovery, recovery.py): "nieuwe telefoon, compare
        # the safety number"; and the messages sent again to it (envelope ids).
        self.devices_changed: asyncio.Queue[DevicesChanged] = asyncio.Queue()
        self.resent: asyncio.Queue[list[str]] = asyncio.Queue()
        self._device_book = DeviceBook()
        self._in_flight = InFlight()
        self.messages: asyncio.Queue[Received] = asyncio.Queue()
        self.prekeys_published: asyncio.Queue[int] = asyncio.Queue()  # relay's count after
        self.dropped = 0  # envelopes that did not decrypt or validate (counted, never logged)
        self.unreachable: set[str] = set()  # devices skipped: they had published no prekeys
        # Broken directions repaired by a new session (docs/e2e.md §7.4 rule 6), one notice
        # per repair; and the devices restarted with and not heard from since, so that the
        # rest of a dead chain still in flight starts no further session (nor notice).
        self.unreadable: asyncio.Queue[Unreadable] = asyncio.Queue()
        self._restarted: set[str] = set()
        # One-time prekey ids up to this were uploaded once. Never upload one twice: the
        # relay may already have handed it to someone.
        self._uploaded_upto = self._load_marker()
        self._starting: dict[str, asyncio.Lock] = {}
        self._housekeeping: set[asyncio.Task[None]] = set()
        # Local copies of the conversations, deleted when the case's timer passes.
        self.disappearing = Disappearing(self.relay, folder, self._now)
        # Peer-support groups: envelopes from a group handle go there (docs/groups.md).
        self.groups = Groups(
            self.relay,
            self._now,
            folder,
            is_device_sender=lambda sender: bool(self.sessions.candidates(sender)),
            on_not_group=self._on_device_envelope,
        )

    def __repr__(self) -> str:
        return f"SecureClient(device={self.device_id!r}, sessions={self.sessions!r})"

    @property
    def device_id(self) -> str:
        return self.relay.device_id

    @property
    def account_id(self) -> str:
        return self.relay.account_id

    def _now(self) -> int:
        return int(self._clock())

    # -- session with the relay ---------------------------------------------------------

    async def register(self, invite: str) -> dict[str, Any]:
        identity = await self.relay.register(invite)
        await self.publish_prekeys()
        await self._start_housekeeping()
        return identity

    async def connect(self) -> dict[str, Any]:
        identity = await self.relay.connect()
        await self._start_housekeeping()
        return identity

    async def close(self) -> None:
        for task in self._housekeeping:
            task.cancel()
        self.groups.stop()
        await self.relay.close()
        self._save_keys()
        self.disappearing.close()

    async def _start_housekeeping(self) -> None:
        await self.disappearing.refresh()  # deletes what fell due while we were away
        self._background(self.disappearing.run())
        self._watch_prekeys()
        await self.groups.start()

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._housekeeping.add(task)
        task.add_done_callback(self._housekeeping.discard)

    async def publish_prekeys(self) -> int:
        """Top the relay up to ONE_TIME_PREKEYS (steuntje_client.prekeys); returns its count."""
        count, upto = await publish_prekeys(
            self.relay, self.keys, self._uploaded_upto, self._now(), self._save_keys
        )
        if upto != self._uploaded_upto:
            self._uploaded_upto = upto
            self._save_marker()
        self.prekeys_published.put_nowait(count)
        return count

    def _watch_prekeys(self) -> None:
        async def top_up() -> None:
            while True:
                await self.relay.prekeys_low.get()
                await self.publish_prekeys()

        self._background(top_up())

    def _load_marker(self) -> int:
        path = self._folder / "prekeys-uploaded" if self._folder else None
        return int(path.read_text()) if path is not None and path.exists() else 0

    def _save_marker(self) -> None:
        if self._folder is not None:
            (self._folder / "prekeys-uploaded").write_text(str(self._uploaded_upto))

    @classmethod
    def open(cls, url: str, folder: Path, **options: Any) -> SecureClient:
        """The device stored in `folder`, or a new one (keys created and saved there)."""
        path = folder / "device.keys"
        keys = (
            DeviceKeys.from_bytes(path.read_bytes())
            if path.exists()
            else (DeviceKeys.generate(int(time.time()), one_time_prekeys=0))
        )
        return cls(url, keys, folder=folder, **options)

    def _save_keys(self) -> None:
        if self._folder is None:
            return
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._folder / "device.keys"
        descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(self.keys.to_bytes())
        os.replace(path.with_suffix(".tmp"), path)

    # -- sending ------------------------------------------------------------------------

    async def send(self, account_id: str, kind: str, **fields: Any) -> Message:
        """Encrypt one message for every device of `account_id` and our own other devices."""
        message = Message(kind, fields, account_id, self._now())
        plaintext = encode(message)
        targets = await self.relay.devices_of(account_id)
        self._saw_devices(account_id, targets)
        peers = list(targets)
        if account_id != self.account_id:
            own = await self.relay.devices_of(self.account_id)
            targets += [device for device in own if device != self.device_id]
        sealed = await asyncio.gather(
            *(self._encrypt_for(d, plaintext) for d in targets), return_exceptions=True
        )
        ready = []
        for device, result in zip(targets, sealed, strict=True):
            if isinstance(result, RelayRefused) and result.code == "no_prekeys":
                # A device that never came online to publish keys (a linked phone still in
                # its box) cannot be reached yet; the others must not wait for it.
                self.unreachable.add(device)
                continue
            if isinstance(result, BaseException):
                raise result
            ready.append((device, result))
        if not ready and targets:
            raise RelayRefused("no_prekeys", "none of the recipient's devices has keys yet")
        names = (fields["blob"],) if kind == "attachment" else ()  # it may fetch the blob
        sent = await asyncio.gather(
            *(self.relay.send(device, env, blobs=names) for device, env in ready)
        )
        for (device, _), envelope_id in zip(ready, sent, strict=True):
            if device in peers and account_id != self.account_id:
                self._in_flight.note(envelope_id, account_id, plaintext, peers)
        self.disappearing.keep(message, account_id, outgoing=True)
        return message

    def _on_undeliverable(self, envelope_ids: list[str]) -> None:
        async def send_again(resend: Resend) -> None:
            names = _blobs_named(resend.plaintext)  # the new device may fetch them too

            async def send(device: str, body: bytes) -> str:
                return await self.relay.send(device, body, blobs=names)

            sent = await resend_to_new_devices(
                resend, self.relay.devices_of, self._encrypt_for, send
            )
            if sent:
                self.resent.put_nowait(sent)

        for resend in self._in_flight.undeliverable(envelope_ids):
            self._background(send_again(resend))

    def _on_devices_changed(self, account_id: str) -> None:
        if account_id == self.account_id:
            return  # our own devices: the groups code handles those (groups.py)

        async def reread() -> None:
            try:
                devices = await self.relay.devices_of(account_id)
            except ClientError:  # erased, or no longer someone we may write to
                return
            self._saw_devices(account_id, devices)

        self._background(reread())

    def _saw_devices(self, account_id: str, devices: list[str]) -> None:
        """Whichever read notices a change first (a send, or devices_changed) reports it."""
        if account_id == self.account_id:
            return
        change = self._device_book.saw(account_id, devices)
        if change is not None:
            self.devices_changed.put_nowait(change)

    async def send_text(self, account_id: str, text: str) -> Message:
        return await self.send(account_id, "text", text=text)

    async def send_nudge(self, account_id: str, emoji: str, template: str) -> Message:
        return await self.send(account_id, "nudge", emoji=emoji, template=template)

    async def send_checkin(self, account_id: str, question: str, scale: int = 5) -> Message:
        return await self.send(account_id, "checkin", question=question, scale=scale)

    async def answer_checkin(self, account_id: str, checkin_id: str, answer: int) -> Message:
        return await self.send(account_id, "checkin_answer", checkin=checkin_id, answer=answer)

    async def call_me(self, account_id: str) -> Message:
        return await self.send(account_id, "call_me")

    async def _encrypt_for(self, device_id: str, plaintext: bytes) -> bytes:
        session = self.sessions.current(device_id)
        if session is not None:
            envelope = session.encrypt(plaintext, self._now())
            self.sessions.save(device_id)
            return envelope
        lock = self._starting.setdefault(device_id, asyncio.Lock())
        async with lock:  # two sends to a new device must not start two sessions
            session = self.sessions.current(device_id)
            if session is not None:
                envelope = session.encrypt(plaintext, self._now())
                self.sessions.save(device_id)
                return envelope
            bundle = await self._fetch_bundle(device_id)
            session, envelope = x3dh_start(self.keys, bundle, self._now(), plaintext=plaintext)
            self.sessions.promote(device_id, session)
            return envelope

    async def _fetch_bundle(self, device_id: str) -> PrekeyBundle:
        bundle = PrekeyBundle.from_bytes(await self.relay.fetch_prekeys(device_id))
        if b64url(bundle.identity.signing_key) != device_id:
            raise UntrustedBundle("the relay's bundle belongs to another device")
        return bundle

    async def _restart_session(self, device_id: str) -> None:
        """docs/e2e.md §7.4 rule 6: a new session with `device_id`, announced by an initial
        envelope with no message in it. The peer accepts it as its current session (rule
        2), so its next message to us uses it, and so does ours to it."""
        lock = self._starting.setdefault(device_id, asyncio.Lock())
        async with lock:
            try:
                bundle = await self._fetch_bundle(device_id)
                session, envelope = x3dh_start(self.keys, bundle, self._now())
            except (ClientError, DecryptionError):  # no prekeys, gone, or a lying relay
                self._restarted.discard(device_id)  # the next failure may try again
                return
            self.sessions.promote(device_id, session)
        # Not sent (connection lost)? Our next message to it starts with the same header.
        with contextlib.suppress(ClientError):
            await self.relay.send(device_id, envelope)

    # -- receiving ----------------------------------------------------------------------

    def _on_envelope(self, envelope: Envelope) -> None:
        if not self.groups.claim(envelope):
            self._on_device_envelope(envelope)

    def _on_device_envelope(self, envelope: Envelope) -> None:
        sender = envelope.sender
        try:
            plaintext = self._decrypt(sender, envelope.body)
        except DecryptionError:
            self.dropped += 1  # a replay, a forgery or garbage: drop it (and it is acked)
            # ...or a message from a direction that can no longer be decrypted (a chain
            # that jumped more than MAX_SKIP): only a new session repairs that, and the
            # error does not say which it was (docs/e2e.md §11), so repair once per reply.
            if sender not in self._restarted:
                self._restarted.add(sender)
                self.unreadable.put_nowait(Unreadable(sender, envelope.seq))
                self._background(self._restart_session(sender))
            return
        self._restarted.discard(sender)  # heard from it: its direction works
        if not plaintext:  # a session start with no message in it (§7.4 rule 6)
            return
        try:
            message = decode(plaintext)
        except InvalidMessage:
            self.dropped += 1
            return
        self._keep_received(message, envelope.sender)
        self.messages.put_nowait(Received(message, envelope.sender, envelope.seq))

    def _keep_received(self, message: Message, sender_device: str) -> None:
        peer = self.disappearing.peer_of(message, sender_device)
        if peer is not None:
            self.disappearing.keep(message, peer, outgoing=False)
            return

        async def after_refresh() -> None:  # a device we have not seen in a case yet
            await self.disappearing.refresh()
            known = self.disappearing.peer_of(message, sender_device)
            self.disappearing.keep(message, known or sender_device, outgoing=False)

        self._background(after_refresh())

    def _decrypt(self, sender: str, body: bytes) -> bytes:
        """docs/e2e.md §7.4: route to the right session, or accept a new one."""
        return open_envelope(self.keys, self.sessions, sender, body, self._now(), self._save_keys)

    def session_with(self, device_id: str) -> Session | None:
        return self.sessions.current(device_id)

    def safety_number(self, device_id: str, account_id: str) -> str | None:
        """The 60-digit number both people see for this device pair (docs/e2e.md §9), or
        None before a session exists. It changes when the peer's device (key) changes."""
        session = self.sessions.current(device_id)
        if session is None:
            return None
        return safety_number(
            self.keys.identity.public.encode(),
            self.account_id.encode(),
            session.peer_identity.encode(),
            account_id.encode(),
        )
