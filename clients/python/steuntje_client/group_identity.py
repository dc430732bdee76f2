"""One device's identity inside one group: its *handle* (docs/groups.md §1).

A handle is a full set of device keys (Ed25519 + X25519 identity, signed and one-time
prekeys) made for this group only, so nothing links it to the person's device, account or
other groups. It has its own pairwise Double Ratchet sessions, one per other handle, kept
apart from the device's case sessions, and its own prekeys on the relay
(`prekeys_upload {as: handle}`). Session setup and routing follow docs/e2e.md §7.4 exactly
as `SecureClient` does for devices, with the handle in the place of the device id.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from crypto import DeviceKeys, PrekeyBundle
from crypto import start_session as x3dh_start
from steuntje_client.client import RelayClient
from steuntje_client.errors import ClientError, RelayRefused
from steuntje_client.keys import b64url
from steuntje_client.prekeys import publish_prekeys
from steuntje_client.session_store import SessionStore, open_envelope

FETCH_RETRIES = 20  # a relay that rate-limits prekey fetches says when to come back
MAX_FETCH_WAIT_MS = 5_000


class UntrustedHandleBundle(ClientError):
    """The relay handed out a prekey bundle that does not belong to the handle asked for."""


class GroupIdentity:
    """The keys and sessions of this device's handle in one group."""

    def __init__(
        self,
        group: str,
        keys: DeviceKeys,
        relay: RelayClient,
        clock: Callable[[], int],
        folder: Path | None = None,
    ) -> None:
        self.group = group
        self.keys = keys
        self.handle = b64url(keys.identity.public.signing_key)
        self._relay = relay
        self._now = clock
        self._folder = folder
        self.sessions = SessionStore(folder / "sessions" if folder else None)
        self._uploaded_upto = self._load_marker()
        self._starting: dict[str, asyncio.Lock] = {}
        self._fetching = asyncio.Lock()

    def __repr__(self) -> str:
        return f"GroupIdentity(group={self.group!r}, sessions={self.sessions!r})"

    @classmethod
    def create(
        cls, group: str, relay: RelayClient, clock: Callable[[], int], folder: Path | None
    ) -> GroupIdentity:
        keys = DeviceKeys.generate(clock(), one_time_prekeys=0)
        identity = cls(group, keys, relay, clock, folder)
        identity.save_keys()
        return identity

    @classmethod
    def load(
        cls, group: str, relay: RelayClient, clock: Callable[[], int], folder: Path
    ) -> GroupIdentity:
        keys = DeviceKeys.from_bytes((folder / "handle.keys").read_bytes())
        return cls(group, keys, relay, clock, folder)

    @property
    def signing_seed(self) -> bytes:
        return self.keys.identity.signing_seed

    # -- prekeys ---------------------------------------------------------------------------

    async def publish_prekeys(self) -> int:
        """Top the relay up to ONE_TIME_PREKEYS for this handle (steuntje_client.prekeys)."""
        count, upto = await publish_prekeys(
            self._relay, self.keys, self._uploaded_upto, self._now(), self.save_keys, self.handle
        )
        if upto != self._uploaded_upto:
            self._uploaded_upto = upto
            self._save_marker()
        return count

    # -- encryption ------------------------------------------------------------------------

    def encrypt_ready(self, handle: str, plaintext: bytes) -> bytes | None:
        """Encrypt over an existing session, or None when one must be started first."""
        session = self.sessions.current(handle)
        if session is None:
            return None
        envelope = session.encrypt(plaintext, self._now())
        self.sessions.save(handle)
        return envelope

    async def encrypt_for(self, handle: str, plaintext: bytes) -> bytes:
        ready = self.encrypt_ready(handle, plaintext)
        if ready is not None:
            return ready
        lock = self._starting.setdefault(handle, asyncio.Lock())
        async with lock:  # two sends to a new handle must not start two sessions
            ready = self.encrypt_ready(handle, plaintext)
            if ready is not None:
                return ready
            bundle = PrekeyBundle.from_bytes(await self._fetch_bundle(handle))
            if b64url(bundle.identity.signing_key) != handle:
                raise UntrustedHandleBundle("the relay's bundle belongs to another handle")
            session, envelope = x3dh_start(self.keys, bundle, self._now(), plaintext=plaintext)
            self.sessions.promote(handle, session)
            return envelope

    async def _fetch_bundle(self, handle: str) -> bytes:
        # One fetch at a time: the relay limits fetches per connection, and a newcomer to
        # a full group needs dozens at once. In line, a refusal's wait is waited once, by
        # the one at the front, instead of by every fetch at the same moment.
        async with self._fetching:
            for _ in range(FETCH_RETRIES):
                try:
                    reply = await self._relay.request("prekeys_fetch", {"device": handle})
                except RelayRefused as refused:
                    if refused.code != "too_many_attempts":
                        raise
                    wait_ms = int(refused.details.get("retry_after_ms", 1000))
                    await asyncio.sleep(min(wait_ms, MAX_FETCH_WAIT_MS) / 1000)
                    continue
                return bytes(reply["bundle"])
        raise RelayRefused("too_many_attempts", "the relay keeps refusing prekey fetches")

    def decrypt(self, sender: str, body: bytes) -> bytes:
        """docs/e2e.md §7.4 with the group's sessions; DecryptionError for anything wrong."""
        return open_envelope(self.keys, self.sessions, sender, body, self._now(), self.save_keys)

    def forget(self, handle: str) -> None:
        """Drop the sessions with a handle that left: nothing is ever encrypted to it again."""
        self.sessions.forget(handle)

    # -- persistence -----------------------------------------------------------------------

    def save_keys(self) -> None:
        if self._folder is None:
            return
        self._folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._folder / "handle.keys"
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(self.keys.to_bytes())
        os.replace(temporary, path)

    def _load_marker(self) -> int:
        path = self._folder / "prekeys-uploaded" if self._folder else None
        return int(path.read_text()) if path is not None and path.exists() else 0

    def _save_marker(self) -> None:
        if self._folder is not None:
            (self._folder / "prekeys-uploaded").write_text(str(self._uploaded_upto))
