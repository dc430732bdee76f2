"""Shared helpers for the library's browser tests (test_lib_*.py): a page with the harness
(clients/web/lib/test/harness.html) served by the real relay, and a thin Python proxy for
one browser device. No tests here."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from crypto import DeviceKeys
from steuntje_client.secure import Received, SecureClient

WAIT_MS = 15_000
WAIT_S = WAIT_MS / 1000
HARNESS = "/app/lib/test/harness.html"


async def open_page(context: Any, relay_url: str) -> Any:
    """A page of the harness; fails the test on any uncaught error in the page."""
    page = await context.new_page()
    page.on("pageerror", lambda error: print("page error:", error))
    await page.goto(relay_url + HARNESS)
    await page.wait_for_function("document.documentElement.dataset.ready === '1'", timeout=WAIT_MS)
    return page


class BrowserDevice:
    """One messenger (one IndexedDB database) inside a harness page."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name

    async def open(self, **options: Any) -> dict[str, Any]:
        return await self.page.evaluate("([n, o]) => harness.open(n, o)", [self.name, options])

    async def call(self, method: str, *args: Any) -> Any:
        """The method's value; raises CallFailed with the library's error code."""
        result = await self.page.evaluate(
            "([n, m, a]) => harness.call(n, m, ...a)", [self.name, method, list(args)]
        )
        if "error" in result:
            raise CallFailed(result["error"])
        return result["value"]

    async def try_call(self, method: str, *args: Any) -> dict[str, Any]:
        return await self.page.evaluate(
            "([n, m, a]) => harness.call(n, m, ...a)", [self.name, method, list(args)]
        )

    async def me(self) -> dict[str, Any]:
        return await self.page.evaluate("n => harness.me(n)", self.name)

    async def log(self) -> dict[str, Any]:
        return await self.page.evaluate("n => harness.log(n)", self.name)

    async def state(self) -> str:
        return await self.page.evaluate("n => harness.state(n)", self.name)

    async def wait_state(self, state: str) -> None:
        await self.page.wait_for_function(
            "([n, s]) => harness.state(n) === s", arg=[self.name, state], timeout=WAIT_MS
        )

    async def until(self, method: str, args: list[Any], predicate: str) -> Any:
        """Call `method(*args)` after every event until `predicate` (a JS expression over
        `value`) holds; returns the value. Fails after WAIT_MS."""
        return await self.page.evaluate(
            f"""async ([n, m, a, wait]) => {{
                const deadline = Date.now() + wait;
                for (;;) {{
                    const r = await harness.call(n, m, ...a);
                    const value = r.value;
                    if (r.error === undefined && ({predicate})) return value;
                    if (Date.now() > deadline) {{
                        throw new Error('timed out: ' + harness.summary(n, r));
                    }}
                    await harness.changed();
                }}
            }}""",
            [self.name, method, args, WAIT_MS],
        )

    async def wait_messages(self, conversation: str, count: int) -> list[dict[str, Any]]:
        """Wait until the conversation holds `count` messages (stored); returns them."""
        return await self.until("messages", [conversation], f"value.length >= {count}")

    async def wait_status(self, conversation: str, message_id: str, status: str) -> None:
        """Until the message has `status` or a later one: sent < delivered < read (a fast
        recipient's acknowledgement can overtake "sent"); other statuses exactly."""
        later = PROGRESS[PROGRESS.index(status) :] if status in PROGRESS else [status]
        wanted = f"m.id === {json.dumps(message_id)} && {json.dumps(later)}.includes(m.status)"
        await self.until("messages", [conversation], f"value.some((m) => {wanted})")


PROGRESS = ["sent", "delivered", "read"]


class CallFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(json.dumps(error))
        self.code = error.get("code")
        self.error_name = error.get("name")


async def python_worker(relay: Any, now: int) -> tuple[Any, SecureClient]:
    """An admin (plain RelayClient) and a worker (SecureClient) registered on `relay`."""
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = SecureClient(relay.url, DeviceKeys.generate(now))
    await worker.register((await admin.create_invite("worker"))["link"])
    return admin, worker


async def next_message(client: SecureClient) -> Received:
    return await asyncio.wait_for(client.messages.get(), WAIT_S)
