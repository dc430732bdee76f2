"""A device's own copies of its conversations, deleted when the case's timer passes.

Disappearing messages are enforced where the plaintext is: on the devices. The relay only
ever holds ciphertext, and deletes that on its own schedule (docs/retention.md). Each
stored message gets an expiry when it is stored: the time it was sent (never later than
when this device saw it, so a sender's fast clock cannot stretch it) plus the case's
disappearing-message timer; ``None`` means the timer is off.

Shortening a timer applies to what is already stored (the same rule as the relay's
envelope lifetime); lengthening only to what comes after, so a timer changed back and forth
never brings a deadline later than one the person has already been shown.

The SQLite file uses ``secure_delete`` so a deleted message's bytes are overwritten, not
left in free pages; without a folder the store lives in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steuntje_client.messages import Message

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id          TEXT PRIMARY KEY,
    peer        TEXT NOT NULL,      -- the other account in the conversation
    outgoing    INTEGER NOT NULL,   -- 1: sent by this account (from any of its devices)
    kind        TEXT NOT NULL,
    fields      TEXT NOT NULL,      -- JSON
    sent_at     INTEGER NOT NULL,
    expires_at  INTEGER             -- NULL: the timer is off
);
CREATE INDEX IF NOT EXISTS messages_by_peer ON messages(peer, sent_at);
CREATE INDEX IF NOT EXISTS messages_by_expiry ON messages(expires_at)
    WHERE expires_at IS NOT NULL;
"""


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: str
    peer: str
    outgoing: bool
    kind: str
    fields: dict[str, Any]
    sent_at: int
    expires_at: int | None

    def __repr__(self) -> str:  # content never appears in a repr or a log
        return f"StoredMessage(kind={self.kind!r}, id={self.id!r}, expires_at={self.expires_at})"


class LocalMessages:
    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():  # private from the first byte
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(str(path) if path else ":memory:", isolation_level=None)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(
        self, message: Message, peer: str, *, outgoing: bool, timer: int | None, now: int
    ) -> StoredMessage:
        """Keep `message` until `timer` seconds after it was sent (None: until deleted)."""
        sent_at = min(message.sent_at, now)
        expires_at = None if timer is None else sent_at + timer
        self._db.execute(
            "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                message.id,
                peer,
                int(outgoing),
                message.kind,
                json.dumps(message.fields, ensure_ascii=False),
                sent_at,
                expires_at,
            ),
        )
        return StoredMessage(
            message.id, peer, outgoing, message.kind, message.fields, sent_at, expires_at
        )

    def conversation(self, peer: str) -> list[StoredMessage]:
        rows = self._db.execute(
            "SELECT id, peer, outgoing, kind, fields, sent_at, expires_at FROM messages"
            " WHERE peer = ? ORDER BY sent_at, rowid",
            (peer,),
        )
        return [
            StoredMessage(r[0], r[1], bool(r[2]), r[3], json.loads(r[4]), r[5], r[6]) for r in rows
        ]

    def apply_timer(self, peer: str, timer: int | None) -> int:
        """A (new) timer for `peer`'s conversation: earlier deadlines only. Returns how many
        messages got an earlier deadline."""
        if timer is None:
            return 0
        cursor = self._db.execute(
            "UPDATE messages SET expires_at = sent_at + ?"
            " WHERE peer = ? AND (expires_at IS NULL OR expires_at > sent_at + ?)",
            (timer, peer, timer),
        )
        return cursor.rowcount

    def prune(self, now: int) -> int:
        """Delete every message whose deadline has come; returns how many."""
        return self._db.execute(
            "DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,)
        ).rowcount

    def next_expiry(self) -> int | None:
        (value,) = self._db.execute(
            "SELECT min(expires_at) FROM messages WHERE expires_at IS NOT NULL"
        ).fetchone()
        return value

    def __len__(self) -> int:
        (count,) = self._db.execute("SELECT count(*) FROM messages").fetchone()
        return count
