"""The push machinery one relay node runs, built by app.py's lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relay.push.scheduler import PushScheduler
from relay.push.sender import PushSender
from relay.push.settings import PushSettings
from webpush import vapid


@dataclass(eq=False)
class PushService:
    settings: PushSettings
    application_server_key: str  # the VAPID public key browsers subscribe with
    scheduler: PushScheduler

    def __repr__(self) -> str:
        return f"PushService({self.scheduler!r})"


def start(
    settings: PushSettings, epoch_key_dir: Path, storage: Any, now: Any, connected_here: Any
) -> PushService:
    """Load (or make, on the first start) the VAPID key beside the epoch keys."""
    key = vapid.load_or_create(vapid.key_path(epoch_key_dir))
    sender = PushSender(key, settings.contact, settings.ttl_s)
    scheduler = PushScheduler(storage, sender, settings, now, connected_here)
    return PushService(settings, vapid.application_server_key(key), scheduler)
