"""The web-push-testing package (npm, an independent push-service implementation) as the
relay's push service in tests: started on 127.0.0.1 by serve.js beside this file.

It creates browser-like subscriptions, refuses a push whose VAPID JWT does not verify
against the subscription's applicationServerKey (400), decrypts the RFC 8291 body and
keeps the plaintext; serve.js also records each push's size, TTL, Urgency and Topic.
Missing (no `npm ci --prefix tests/push_service`), the test fails: it never skips.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 20


@dataclass(frozen=True)
class StandInSubscription:
    endpoint: str
    p256dh: str
    auth: str
    client_hash: str

    def for_relay(self, hint_key: str, **extra: Any) -> dict[str, Any]:
        """The push_subscribe event data, as the web app sends it."""
        return {
            "endpoint": self.endpoint,
            "p256dh": self.p256dh,
            "auth": self.auth,
            "hint_key": hint_key,
            **extra,
        }


class PushServiceStandIn:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.origin = ""

    async def start(self) -> None:
        node = shutil.which("node")
        if node is None or not (HERE / "node_modules" / "web-push-testing").is_dir():
            pytest.fail(
                "the push service stand-in is not installed: run"
                " `npm ci --prefix tests/push_service` (.ci/run does)"
            )
        self.process = await asyncio.create_subprocess_exec(
            node, str(HERE / "serve.js"), cwd=HERE, stdout=asyncio.subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT_S)
        if not line.startswith(b"listening "):
            raise RuntimeError(f"push service stand-in did not start: {line!r}")
        self.origin = f"http://127.0.0.1:{int(line.split()[1])}"

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def _post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.origin + path, json=data or {}) as response,
        ):
            if response.content_type == "application/json":
                return await response.json()
            return response.status

    async def subscribe(self, application_server_key: str) -> StandInSubscription:
        """What PushManager.subscribe would give a browser, bound to the relay's key."""
        reply = await self._post(
            "/subscribe",
            {"userVisibleOnly": "true", "applicationServerKey": application_server_key},
        )
        data = reply["data"]
        return StandInSubscription(
            data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"], data["clientHash"]
        )

    async def messages(self, subscription: StandInSubscription) -> list[str]:
        """The decrypted pushes this subscription received, oldest first."""
        reply = await self._post("/get-notifications", {"clientHash": subscription.client_hash})
        return reply["data"]["messages"]

    async def wire(self, subscription: StandInSubscription) -> list[dict[str, Any]]:
        """Per push as sent: body size, TTL, Urgency and Topic headers (serve.js)."""
        reply = await self._post("/wire", {"clientHash": subscription.client_hash})
        return reply["data"]

    async def expire(self, subscription: StandInSubscription) -> None:
        """The browser dropped it: the next push gets 410 Gone."""
        await self._post(f"/expire-subscription/{subscription.client_hash}")


@pytest.fixture
async def push_service() -> AsyncIterator[PushServiceStandIn]:
    """The stand-in, started for one test and stopped after it."""
    service = PushServiceStandIn()
    await service.start()
    yield service
    await service.stop()
