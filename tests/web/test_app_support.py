"""Shared by the web app's browser tests (test_app_*.py): two phones on one relay, and the
checks every screen must pass: axe-core with 0 violations, touch targets of at least 44 px,
no sideways scrolling at 320 px, a screenshot, no request to another host, no script error.
No sleeps anywhere: every wait is on something a person would see."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

expect = pytest.importorskip("playwright.async_api").expect
expect.set_options(timeout=15_000)
WEB = Path(__file__).resolve().parents[2] / "clients" / "web"
AXE_SOURCE = (WEB / "vendor" / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
# Buttons, button-like links, menu links and checkbox labels: at least 44 × 44 CSS px.
# (Links inside running text are exempt, as in WCAG 2.5.8.)
SMALL_TARGETS = """() => [...document.querySelectorAll('button, a.button, .app-nav a, label.check')]
  .filter((el) => el.getClientRects().length && !el.closest('dialog:not([open])'))
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([, box]) => box.width < 43.5 || box.height < 43.5)
  .map(([el, box]) => `${el.textContent.trim()} ${box.width | 0}x${box.height | 0}`)"""
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1024, "height": 800}
NARROW = 320
TIMEOUT_MS = 15_000


def _where(message) -> str:  # type: ignore[no-untyped-def]
    """The URL a console message is about ("Failed to load resource" names no file)."""
    try:
        return str(message.location.get("url") or "?")
    except Exception:  # a diagnostic only: never fail the test on it
        return "?"


class Watch:
    """Everything a page does that a test should fail on: foreign hosts, script errors."""

    def __init__(self, relay_url: str) -> None:
        self.origin = urlsplit(relay_url).netloc
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def attach(self, page) -> None:
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console: {message.text} ({_where(message)})")
                if message.type == "error" and not _network_noise(message.text)
                else None
            ),
        )

    def _request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.origin:
            self.foreign.append(request.url)

    def check(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"errors in the page: {self.errors}"


def _network_noise(text: str) -> bool:
    """The browser's own log lines for a refused connection while a phone is offline."""
    return "WebSocket connection to" in text or "net::ERR_INTERNET_DISCONNECTED" in text


def clear_screenshots(folder: Path) -> None:
    """Screenshots of an earlier run must not pass for this run's."""
    for old in folder.glob("*.png"):
        old.unlink()


async def new_phone(browser, watch: Watch, viewport: dict[str, int], **options):
    context = await browser.new_context(
        viewport=viewport, locale="nl-NL", service_workers="allow", **options
    )
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watch.attach(page)
    return context, page


async def check_screen(page, artifacts: Path, name: str) -> None:
    """axe-core: 0 violations; no horizontal scrolling at 320 px; a screenshot."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # The page's CSP forbids inline <script>, and the phone may be offline: evaluate the
        # vendored file through DevTools instead, which the CSP does not govern.
        await page.evaluate(AXE_SOURCE)
    # A message that just arrived fades in; judge colours once it has.
    await page.evaluate("Promise.all(document.getAnimations().map((a) => a.finished))")
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }"
    )
    if result:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    assert result == [], f"axe violations on {name}: {[v['id'] for v in result]}"
    small = await page.evaluate(SMALL_TARGETS)
    assert small == [], f"touch targets under 44 px on {name}: {small}"
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    size = page.viewport_size
    await page.set_viewport_size({"width": NARROW, "height": size["height"]})
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if size["width"] != NARROW:
        await page.screenshot(path=str(artifacts / f"{name}-320px.png"), full_page=True)
        await page.set_viewport_size(size)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {NARROW}px"


def messages(page):
    return page.locator("ol.messages > li")


async def decline_notifications(page) -> None:
    """Right after joining the app asks once whether the phone may say that something
    arrived (parts/notifications.js, a modal dialog); these tests answer "Nu niet"."""
    dialog = page.locator("dialog.push-dialog")
    await dialog.get_by_role("button", name="Nu niet").click()
    await expect(dialog).to_have_count(0)


async def worker_joins(worker, invite: str, artifacts: Path) -> None:
    await worker.goto(invite)
    await expect(worker.get_by_role("heading", name="Welkom bij Steuntje")).to_be_visible()
    await worker.keyboard.press("Tab")
    await expect(worker.get_by_role("link", name="Naar de inhoud")).to_be_focused()
    await check_screen(worker, artifacts, "01-worker-join")
    await worker.get_by_role("button", name="Doe mee").click()
    await decline_notifications(worker)
    await expect(worker.get_by_role("heading", name="Mijn mantelzorgers")).to_be_visible()
    assert "invite=" not in worker.url, "the token must leave the address bar"
    await expect(worker.get_by_text("Nog niemand")).to_be_visible()
    await check_screen(worker, artifacts, "02-worker-caseload-empty")


async def send_text(page, text: str) -> None:
    await page.get_by_label("Bericht", exact=True).fill(text)
    await page.get_by_role("button", name="Verstuur").click()


SENT = re.compile("verstuurd|afgeleverd|gelezen")  # out, whatever happened next


async def expect_message(page, text: str, status: str | re.Pattern[str] | None = None) -> None:
    item = messages(page).filter(has_text=text)
    await expect(item.first).to_be_visible()
    if status:
        await expect(item.first.locator(".meta")).to_contain_text(status)


async def poll(page, script: str, what: str, seconds: float = 15):  # type: ignore[no-untyped-def]
    """Evaluate `script` (an async function) until it returns something truthy; return that.
    Playwright's wait_for_function does not await an async predicate: its promise is
    truthy at once, so such a "wait" returns before the condition holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not (value := await page.evaluate(script)):
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)  # polling step of a condition wait
    return value
