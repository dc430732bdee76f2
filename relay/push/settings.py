"""Push settings: typed, with privacy-safe defaults, read from STEUNTJE_PUSH_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from relay.errors import ConfigError

# The push services browsers use today. A subscription's endpoint must be https on one of
# these (or below one): the relay POSTs to whatever a device names, so an open list would
# let any device point the relay at hosts inside the operator's network.
KNOWN_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, most Chromium browsers
    "updates.push.services.mozilla.com",  # Firefox
    "push.services.mozilla.com",
    "web.push.apple.com",  # Safari, iOS home-screen apps
    "notify.windows.com",  # Edge on Windows (wns2-*.notify.windows.com)
)


@dataclass(frozen=True, slots=True)
class PushSettings:
    enabled: bool = True  # off: the relay never pushes (push_subscribe still stores)
    delay_s: float = 5.0  # wait this long: an open app acknowledges first and is not buzzed
    interval_s: int = 60  # at most one push per device per this many seconds
    ttl_s: int = 4 * 3600  # the push service may hold a push this long for an offline phone
    quiet_recheck_s: float = 300.0  # a push held back by quiet hours is reconsidered this often
    subscription_ttl_s: int = 60 * 86_400  # a subscription the app stopped renewing goes
    # Extra push-service origins (scheme://host:port) beyond KNOWN_PUSH_HOSTS: a private
    # push service, or the tests' stand-in on loopback. Plain http only when listed here.
    extra_origins: tuple[str, ...] = ()
    contact: str = "mailto:privacy@steuntje.invalid"  # VAPID `sub` (RFC 8292 §2.1)

    def allows(self, endpoint: str) -> bool:
        """May the relay POST to this subscription endpoint?"""
        parts = urlsplit(endpoint)
        if not parts.hostname:
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self.extra_origins:
            return True
        if parts.scheme != "https" or parts.port not in (None, 443):
            return False
        host = parts.hostname.lower()
        return any(host == known or host.endswith("." + known) for known in KNOWN_PUSH_HOSTS)

    def validated(self) -> PushSettings:
        if self.delay_s < 0 or self.interval_s < 0 or self.ttl_s <= 0:
            raise ConfigError("STEUNTJE_PUSH_DELAY/INTERVAL/TTL must be positive numbers")
        if not self.contact.startswith(("mailto:", "https://")):
            raise ConfigError("STEUNTJE_PUSH_CONTACT must be a mailto: or https:// address")
        for origin in self.extra_origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
                raise ConfigError(
                    f"STEUNTJE_PUSH_SERVICES takes origins like https://push.example.nl"
                    f" (got {origin!r})"
                )
        return self

    def with_env(self, environ: dict[str, str] | None = None) -> PushSettings:
        """STEUNTJE_PUSH_DELAY, STEUNTJE_PUSH_INTERVAL (seconds), STEUNTJE_PUSH_SERVICES
        (comma-separated extra origins), STEUNTJE_PUSH_CONTACT (mailto: or https: URL),
        STEUNTJE_PUSH_ENABLED (0 or off: never push)."""
        env = os.environ if environ is None else environ
        changes: dict[str, object] = {}
        try:
            if "STEUNTJE_PUSH_DELAY" in env:
                changes["delay_s"] = float(env["STEUNTJE_PUSH_DELAY"])
            if "STEUNTJE_PUSH_INTERVAL" in env:
                changes["interval_s"] = int(env["STEUNTJE_PUSH_INTERVAL"])
        except ValueError:
            raise ConfigError("STEUNTJE_PUSH_DELAY/INTERVAL must be numbers of seconds") from None
        if "STEUNTJE_PUSH_SERVICES" in env:
            changes["extra_origins"] = tuple(
                o.strip().rstrip("/") for o in env["STEUNTJE_PUSH_SERVICES"].split(",") if o.strip()
            )
        if "STEUNTJE_PUSH_ENABLED" in env:
            changes["enabled"] = env["STEUNTJE_PUSH_ENABLED"].strip().lower() not in ("0", "off")
        if "STEUNTJE_PUSH_CONTACT" in env:
            changes["contact"] = env["STEUNTJE_PUSH_CONTACT"]
        return replace(self, **changes).validated()
