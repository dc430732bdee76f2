"""`steuntje bench --web`: what a caregiver on a cheap phone and a slow line waits for.

A relay starts on a temporary folder; a support worker (the Python client) invites a
caregiver; headless Chromium (Debian's, driven by Playwright; never a downloaded browser)
plays the caregiver with the CPU slowed 4× and the network shaped to 1.6 Mbit/s down,
750 kbit/s up and 150 ms round trip, through the DevTools protocol. Per run, with an empty
HTTP cache and no service worker (the worst case: a first visit):

* ``first_load_bytes``: bytes transferred (compressed, headers included) until the join
  screen is ready, the app's code and crypto included; the issue's budget is 150 KB;
* ``join_screen_ms``: opening the invite link until the "Doe mee" button can be tapped;
* ``joined_ms``: tapping it until the device is registered (keys made, prekeys published);
* ``first_message_ms``: the worker's first message, sent while the caregiver's app is
  open, until it is on the screen (encryption, relay, decryption, rendering);
* ``reopen_read_ms``: the app opened again later with an empty cache, a message waiting,
  until that message is on the screen: "time until the caregiver can read" (budget 3 s);
* ``photo_sent_ms``: a 12-megapixel phone photo (2.4 MB JPEG) chosen under "📷 Foto" until
  the chat says "Foto verstuurd ✓": decoded, downscaled to 1600 px and re-encoded on the
  slowed phone, encrypted, uploaded on the slow line, the message sent (issue 16).

Medians over ``--runs``; the figures go to docs/performance.md.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.envelope_bench import spawned_relay
from crypto import DeviceKeys
from steuntje_client.client import RelayClient
from steuntje_client.keys import DeviceKey
from steuntje_client.secure import SecureClient

CHROMIUM = os.environ.get("STEUNTJE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLOW_PHONE = {"rate": 4}  # Emulation.setCPUThrottlingRate
SLOW_LINE = {  # Network.emulateNetworkConditions: "slow 3G-ish", as the issue asks
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
JOIN_BUTTON = "Doe mee"  # clients/web/i18n/nl.js: join_button
PHOTO_BUTTON = "Foto"  # media_photo_button
PHOTO_SENT = "Foto verstuurd"  # i18n/media/nl.js: media_photo_sent
PHOTO_SIZE = (4032, 3024)  # a 12-megapixel phone camera
NOT_NOW = "Nu niet"  # i18n/notifications/nl.js: push_ask_no
ASK_WAIT_MS = 10_000  # the notification question comes right after joining, or never
TIMEOUT_MS = 60_000


class WebBenchError(Exception):
    """The browser benchmark could not run (no Chromium, no Playwright, a step failed)."""


async def _throttle(context: Any, page: Any) -> None:
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", SLOW_LINE)
    await cdp.send("Emulation.setCPUThrottlingRate", SLOW_PHONE)


class _Bytes:
    """Transferred bytes of every finished request of a page (body as sent, compressed)."""

    def __init__(self, page: Any) -> None:
        self.total = 0
        self.requests = 0
        self._pending: set[asyncio.Task[None]] = set()
        page.on("requestfinished", self._finished)

    def _finished(self, request: Any) -> None:
        async def add() -> None:
            sizes = await request.sizes()
            self.total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            self.requests += 1

        task = asyncio.get_running_loop().create_task(add())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def settled(self) -> int:
        while self._pending:
            await asyncio.gather(*list(self._pending))
        return self.total


def phone_photo(folder: Path) -> Path:
    """A 12-megapixel JPEG of about 2.4 MB with some texture (noise), like a phone's photo."""
    from PIL import Image  # a development dependency, as playwright is

    channels = (
        Image.linear_gradient("L").resize(PHOTO_SIZE),
        Image.effect_noise(PHOTO_SIZE, 8),
        Image.radial_gradient("L").resize(PHOTO_SIZE),
    )
    path = folder / "photo.jpg"
    Image.merge("RGB", channels).save(path, quality=88)
    return path


async def _photo_sent(page: Any, photo: Path) -> float:
    """Seconds from choosing `photo` under "Foto" until the chat says it was sent (the
    tap itself loads the media code first; that is not counted)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    # Right after joining, the app asks once about notifications in a modal dialog (when
    # the browser could show them): "Nu niet", as a caregiver might.
    ask = page.locator("dialog.push-dialog")
    try:
        await ask.get_by_role("button", name=NOT_NOW).click(timeout=ASK_WAIT_MS)
        await ask.wait_for(state="detached", timeout=TIMEOUT_MS)
    except PlaywrightTimeout:
        pass  # not asked here
    async with page.expect_file_chooser(timeout=TIMEOUT_MS) as chosen:
        await page.get_by_role("button", name=PHOTO_BUTTON, exact=True).click()
    start = time.perf_counter()
    await (await chosen.value).set_files(str(photo))
    await page.locator(".sent-note").filter(has_text=PHOTO_SENT).wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - start


async def _one_run(
    browser: Any, worker: SecureClient, number: int, photo: Path
) -> dict[str, float]:
    link = (await worker.relay.create_invite("caregiver"))["link"]
    context = await browser.new_context(service_workers="block")
    try:
        page = await context.new_page()
        await _throttle(context, page)
        counted = _Bytes(page)
        start = time.perf_counter()
        await page.goto(link)
        button = page.get_by_role("button", name=JOIN_BUTTON)
        await button.wait_for(timeout=TIMEOUT_MS)
        join_screen = time.perf_counter() - start
        await page.wait_for_load_state("networkidle")
        first_load = await counted.settled()

        start = time.perf_counter()
        await button.click()
        await button.wait_for(state="detached", timeout=TIMEOUT_MS)
        joined = time.perf_counter() - start

        caregiver = (await worker.relay.cases())[-1]["caregiver"]
        text = f"Hoi! Hoe gaat het vandaag? ({number})"
        start = time.perf_counter()
        await worker.send_text(caregiver, text)
        await page.get_by_text(text).first.wait_for(timeout=TIMEOUT_MS)
        first_message = time.perf_counter() - start
        photo_sent = await _photo_sent(page, photo)

        await page.close()  # the phone goes in a pocket; a message arrives meanwhile
        later = f"Ik bel je morgen even. ({number})"
        await worker.send_text(caregiver, later)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.clearBrowserCache")
        await _throttle(context, page)
        start = time.perf_counter()
        await page.goto(link.split("#", 1)[0])
        await page.get_by_text(later).first.wait_for(timeout=TIMEOUT_MS)
        reopen = time.perf_counter() - start
    finally:
        await context.close()
    return {
        "first_load_bytes": first_load,
        "first_load_requests": counted.requests,
        "join_screen_ms": join_screen * 1000,
        "joined_ms": joined * 1000,
        "first_message_ms": first_message * 1000,
        "reopen_read_ms": reopen * 1000,
        "photo_sent_ms": photo_sent * 1000,
    }


async def run(runs: int = 5) -> dict[str, Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError as error:
        message = f"playwright is not installed ({error}): make test installs it"
        raise WebBenchError(message) from None
    results: list[dict[str, float]] = []
    async with spawned_relay("full") as relay:
        admin = RelayClient(relay.url, DeviceKey.generate())
        await admin.register(relay.admin_invite)
        with tempfile.TemporaryDirectory(prefix="steuntje-webbench-") as folder:
            worker = SecureClient(
                relay.url, DeviceKeys.generate(int(time.time())), folder=Path(folder)
            )
            await worker.register((await admin.create_invite("worker"))["link"])
            photo = phone_photo(Path(folder))
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                try:
                    for number in range(1, runs + 1):
                        results.append(await _one_run(browser, worker, number, photo))
                        report.say(
                            f"run {number}/{runs}: "
                            + ", ".join(f"{k} {v:,.0f}" for k, v in results[-1].items())
                        )
                finally:
                    await browser.close()
            await worker.close()
        await admin.close()
    figures: dict[str, Any] = {
        name: statistics.median(r[name] for r in results) for name in results[0]
    }
    figures.update(
        runs=runs,
        cpu_slowdown=SLOW_PHONE["rate"],
        network="1.6 Mbit/s down, 750 kbit/s up, 150 ms RTT",
        chromium=CHROMIUM,
    )
    return figures


def run_cli(runs: int, as_json: bool) -> int:
    """`steuntje bench --web`: a table, or one JSON object as the last line."""
    import json

    try:
        if not Path(CHROMIUM).exists():
            raise WebBenchError(f"no Chromium at {CHROMIUM}: apt-get install chromium")
        figures = asyncio.run(run(runs))
    except (WebBenchError, OSError) as error:
        print(f"steuntje bench --web: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(figures))
    else:
        print(
            f"web app on a slow phone ({figures['network']}, CPU /{SLOW_PHONE['rate']}),"
            f" median of {runs} runs"
        )
        for name, value in figures.items():
            if isinstance(value, float | int):
                print(f"  {name:<22} {value:>10,.0f}")
    return 0
