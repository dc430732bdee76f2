"""A device's end-to-end sessions, one current and a few archived per peer device, kept by
the rules of docs/e2e.md §7.4, optionally persisted to a folder so they survive restarts."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path

from crypto import DecryptionError, DeviceKeys, Session, accept_session
from crypto.envelope import TYPE_INITIAL
from steuntje_client.keys import b64url

MAX_ARCHIVED = 5
_MAGIC = b"stsr"  # Steuntje session record
_VERSION = 1


class SessionStore:
    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder
        self._records: dict[str, list[Session]] = {}  # device id -> [current, archived…]
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for path in folder.glob("*.sessions"):
                self._records[path.stem] = _decode(path.read_bytes())

    def __repr__(self) -> str:
        return f"SessionStore(peers={len(self._records)})"

    def current(self, device_id: str) -> Session | None:
        record = self._records.get(device_id)
        return record[0] if record else None

    def candidates(self, device_id: str) -> list[Session]:
        """Current first, then archived, newest first (the order §7.4 rule 3 tries them)."""
        return list(self._records.get(device_id, ()))

    def promote(self, device_id: str, session: Session) -> None:
        """Make `session` current; the previous current one is archived."""
        record = [s for s in self._records.get(device_id, ()) if s is not session]
        self._records[device_id] = [session, *record][: MAX_ARCHIVED + 1]
        self.save(device_id)

    def forget(self, device_id: str) -> None:
        self._records.pop(device_id, None)
        if self._folder is not None:
            (self._folder / f"{device_id}.sessions").unlink(missing_ok=True)

    def save(self, device_id: str) -> None:
        """Persist one peer's record atomically (write, fsync, rename)."""
        if self._folder is None or device_id not in self._records:
            return
        path = self._folder / f"{device_id}.sessions"
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(_encode(self._records[device_id]))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


def _encode(sessions: list[Session]) -> bytes:
    parts = [_MAGIC, struct.pack(">BB", _VERSION, len(sessions))]
    for session in sessions:
        blob = session.to_bytes()
        parts += [struct.pack(">I", len(blob)), blob]
    return b"".join(parts)


def _decode(data: bytes) -> list[Session]:
    if data[:4] != _MAGIC or data[4] != _VERSION:
        raise ValueError("not a version-1 session record")
    count, offset, sessions = data[5], 6, []
    for _ in range(count):
        (size,) = struct.unpack_from(">I", data, offset)
        sessions.append(Session.from_bytes(data[offset + 4 : offset + 4 + size]))
        offset += 4 + size
    return sessions


def open_envelope(
    keys: DeviceKeys,
    sessions: SessionStore,
    sender: str,
    body: bytes,
    now: int,
    prekey_spent: Callable[[], None],
) -> bytes:
    """docs/e2e.md §7.4: route an envelope from `sender` (a device id, or a group handle)
    to the right session, or accept a new one; DecryptionError for anything wrong.
    `prekey_spent` is called when a one-time prekey was used up, so the keys are saved."""
    candidates = sessions.candidates(sender)
    if len(body) > 1 and body[1] == TYPE_INITIAL:
        matching = [s for s in candidates if s.matches(body)]
        if matching:
            plaintext = matching[0].decrypt(body, now)
            sessions.promote(sender, matching[0])
            return plaintext
        session, plaintext = accept_session(keys, body, now)
        if b64url(session.peer_identity.signing_key) != sender:
            raise DecryptionError  # signed by someone other than the routed sender
        sessions.promote(sender, session)
        prekey_spent()  # its one-time prekey is now gone for good
        return plaintext
    for session in candidates:
        try:
            plaintext = session.decrypt(body, now)
        except DecryptionError:
            continue
        sessions.promote(sender, session)
        return plaintext
    raise DecryptionError
