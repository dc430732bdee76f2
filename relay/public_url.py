"""Where people reach the relay, written down by `serve` for `steuntje admin invite`.

An invite link must name the relay's real address. Only the running relay knows it: its
--public-url (behind a TLS proxy), or the address it listens on, with the port it really got
when started on port 0. So `serve` writes that one line to DATA/public-url when it starts,
and the CLI, run on the same machine with the same --data, reads it.

The file is left in place when the relay stops: an invite made while the relay is down
should point where the relay will run again (the next start overwrites it). It holds no
personal data, only the relay's own address. With --database (PostgreSQL) each node still
has a --data folder on its own machine, and the record goes there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from relay.config import RelayConfig

RECORD_NAME = "public-url"


def record_path(config: RelayConfig) -> Path:
    return config.data_dir / RECORD_NAME


def record_public_url(config: RelayConfig) -> Path:
    """Write the effective public URL, whole or not at all (a reader never sees half a
    line): a private temporary file in the same folder, then an atomic rename."""
    path = record_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".public-url-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(config.effective_public_url + "\n")
        os.chmod(temporary, 0o644)  # not secret: the relay's own address
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class DamagedRecord(ValueError):
    """The record exists but holds no usable web address."""


def read_public_url(config: RelayConfig) -> str | None:
    """The recorded URL, or None if no relay has recorded one in this data folder.
    Raises DamagedRecord if the file holds anything but one http(s) address."""
    path = record_path(config)
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        raise DamagedRecord(str(path))
    return text.rstrip("/")
