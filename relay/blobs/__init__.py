"""Attachments as blobs (PROTOCOL.md §4.17): the relay stores opaque ciphertext that devices
upload and download over HTTP in a subset of tus 1.0.0, and forgets it on time.

- tokens.py: the short-lived upload and download tokens (pure, no I/O);
- http.py: the `HEAD`/`PATCH`/`GET /blobs/<id>` handlers, streaming in pieces;
- the socket events are in relay/handlers/blobs.py, the storage in
  relay/storage/sqlite_blobs.py (used by PostgreSQL as well).
"""

from __future__ import annotations

import re

BLOB_ID = re.compile(r"[A-Za-z0-9_-]{22}")
PIECE_BYTES = 256 * 1024  # the most one stored row holds (sealed separately)
TOKEN_TTL_S = 600  # an upload or download token lives 10 minutes
UNNAMED_TTL_S = 86_400  # a blob no envelope names is deleted after this
MAX_BLOBS_PER_ENVELOPE = 4
