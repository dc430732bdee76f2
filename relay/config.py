"""Typed, validated relay configuration. Every option: default, effect, example in README.md.

Values come from command-line flags, or `STEUNTJE_*` environment variables, or these
defaults, in that order. A bad value stops the relay at start with a message that names
the option and says what would be accepted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from relay.errors import ConfigError
from relay.push.settings import PushSettings
from relay.storage.sqlite import SYNC_MODES

DAY = 86_400


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may use. Each limit, when hit, gives its own error code."""

    max_envelope_bytes: int = 64 * 1024  # envelope_too_large
    max_envelopes_per_event: int = 256  # too_many_envelopes
    max_event_bytes: int = 2 * 1024 * 1024  # payload_too_large (sum of bodies in one event)
    mailbox_max_envelopes: int = 10_000  # mailbox_full (undelivered, per recipient device)
    send_rate_per_s: float = 100.0  # rate_limited (envelopes per second per device, sustained)
    send_burst: int = 2_000  # rate_limited (envelopes a quiet device may send at once)
    connections_per_account: int = 10  # too_many_connections
    invite_attempts_per_minute: int = 10  # too_many_attempts (per remote address, in memory)
    prekey_fetches_per_minute: int = 60  # too_many_attempts (per connection): stops a member
    # from draining another device's one-time prekeys; a real client fetches once per session
    auth_timeout_s: float = 30.0  # an unauthenticated connection is closed after this
    audit_export_max_entries: int = 100_000  # payload_too_large: bigger logs via the CLI
    delivery_window: int = 2_048  # envelopes in flight to one device before it must ack
    delivery_window_bytes: int = 4 * 1024 * 1024  # bytes in flight to one device, likewise
    drain_batch: int = 256  # envelopes per `deliver` event when draining a mailbox
    # Attachments (PROTOCOL.md §4.17). A blob is the ciphertext of a file of at most 25 MiB:
    # the attachment format adds a 32-byte key commitment and a 16-byte tag per 64 KiB chunk
    # (crypto/attachment.py; the relay does not import it, a test checks the two agree).
    max_blob_bytes: int = 32 + 25 * 1024 * 1024 + 400 * 16  # blob_too_large
    blob_quota_bytes: int = 200 * 1024 * 1024  # quota_exceeded (an account's live blobs)
    blob_creates_per_minute: int = 30  # rate_limited (per device, kept across reconnects)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("data")
    key_dir: Path | None = None  # epoch keys (crypto-shredding); default DATA/epoch-keys
    audit_key: Path | None = None  # the audit log's signing key; default DATA/audit-log.key
    public_url: str = ""  # where people open the web app; default http://HOST:PORT
    allowed_origins: tuple[str, ...] = ()  # extra browser origins; same-origin only if empty
    sqlite_synchronous: str = "full"  # full: survives power loss; normal: survives a crash
    # Several nodes (docs/scaling.md): "" keeps the embedded SQLite file in data_dir;
    # postgresql://user@host:5432/steuntje shares one database between relay nodes.
    database_url: str = ""
    redis_url: str = ""  # redis://host:6379/0: fan-out between nodes; "" = one node
    envelope_ttl_s: int = 14 * DAY  # undelivered envelopes expire after this
    invite_ttl_s: int = 7 * DAY  # invites made over the socket or the CLI
    admin_invite_ttl_s: int = 1 * DAY  # the bootstrap admin invite printed on first start
    purge_interval_s: float = 3600.0  # how often expired data is deleted (hidden at once)
    limits: Limits = field(default_factory=Limits)
    push: PushSettings = field(default_factory=PushSettings)  # STEUNTJE_PUSH_* (notifications)

    @property
    def database_path(self) -> Path:
        return self.data_dir / "steuntje.sqlite3"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key or self.data_dir / "audit-log.key"

    @property
    def epoch_key_dir(self) -> Path:
        return self.key_dir or self.data_dir / "epoch-keys"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    def validated(self) -> RelayConfig:
        """Return self if every value is usable, else raise ConfigError naming the option."""
        if not 0 <= self.port <= 65_535:
            raise ConfigError(f"--port must be between 0 and 65535 (got {self.port})")
        if self.sqlite_synchronous not in SYNC_MODES:
            raise ConfigError(
                f"--sqlite-sync must be one of {', '.join(SYNC_MODES)}"
                f" (got {self.sqlite_synchronous!r})"
            )
        for name, value in (
            ("--public-url", self.public_url),
            *(("--allowed-origin", origin) for origin in self.allowed_origins),
        ):
            if value:
                parts = urlsplit(value)
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    raise ConfigError(
                        f"{name} must look like https://steuntje.example.nl (got {value!r})"
                    )
        if self.database_url and urlsplit(self.database_url).scheme not in (
            "postgresql",
            "postgres",
        ):
            raise ConfigError(
                "--database must look like postgresql://steuntje@db.example.nl/steuntje"
                " (leave it out to use the embedded SQLite database)"
            )
        if self.redis_url and urlsplit(self.redis_url).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError("--redis must look like redis://redis.example.nl:6379/0")
        if self.redis_url and not self.database_url:
            raise ConfigError(
                "--redis is for several relay nodes, which share one PostgreSQL database:"
                " add --database postgresql://... (or leave both out for one node)"
            )
        for name in ("envelope_ttl_s", "invite_ttl_s", "admin_invite_ttl_s", "purge_interval_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number of seconds")
        if self.envelope_ttl_s > 90 * DAY:
            raise ConfigError("envelope_ttl_s may be at most 90 days (GDPR storage limitation)")
        for limit in fields(Limits):
            if getattr(self.limits, limit.name) <= 0:
                raise ConfigError(f"limit {limit.name} must be positive")
        self.push.validated()
        if self.limits.max_envelope_bytes > self.limits.max_event_bytes:
            raise ConfigError("max_envelope_bytes cannot exceed max_event_bytes")
        return self

    def with_env(self, environ: dict[str, str] | None = None) -> RelayConfig:
        """Fill options from STEUNTJE_HOST, STEUNTJE_PORT, STEUNTJE_DATA, STEUNTJE_PUBLIC_URL,
        STEUNTJE_ALLOWED_ORIGINS (comma-separated), STEUNTJE_SQLITE_SYNC, STEUNTJE_DATABASE
        and STEUNTJE_REDIS."""
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        try:
            if "STEUNTJE_HOST" in env:
                changes["host"] = env["STEUNTJE_HOST"]
            if "STEUNTJE_PORT" in env:
                changes["port"] = int(env["STEUNTJE_PORT"])
        except ValueError as exc:
            raise ConfigError(f"STEUNTJE_PORT must be a whole number ({exc})") from None
        if "STEUNTJE_DATA" in env:
            changes["data_dir"] = Path(env["STEUNTJE_DATA"])
        if "STEUNTJE_AUDIT_KEY" in env:
            changes["audit_key"] = Path(env["STEUNTJE_AUDIT_KEY"])
        if "STEUNTJE_KEY_DIR" in env:
            changes["key_dir"] = Path(env["STEUNTJE_KEY_DIR"])
        if "STEUNTJE_PUBLIC_URL" in env:
            changes["public_url"] = env["STEUNTJE_PUBLIC_URL"]
        if "STEUNTJE_ALLOWED_ORIGINS" in env:
            changes["allowed_origins"] = tuple(
                o.strip() for o in env["STEUNTJE_ALLOWED_ORIGINS"].split(",") if o.strip()
            )
        if "STEUNTJE_SQLITE_SYNC" in env:
            changes["sqlite_synchronous"] = env["STEUNTJE_SQLITE_SYNC"]
        if "STEUNTJE_DATABASE" in env:
            changes["database_url"] = env["STEUNTJE_DATABASE"]
        if "STEUNTJE_REDIS" in env:
            changes["redis_url"] = env["STEUNTJE_REDIS"]
        changes["push"] = self.push.with_env(dict(env))
        return replace(self, **changes)
