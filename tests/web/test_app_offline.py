"""The installed app without a connection, the app open in two tabs of one phone, and a
worker's second device."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    expect,
    new_phone,
    poll,
    worker_joins,
)

pytestmark = pytest.mark.timeout(240)


async def test_app_shell_opens_offline(browser, relay, artifacts: Path) -> None:
    """Installed to the home screen and opened without a connection: the service worker
    serves the app shell (and the library it loaded), the IndexedDB store the rest."""
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    context, page = await new_phone(browser, watch, PHONE)
    try:
        served = await page.request.get(f"{relay.url}/sw.js")
        assert served.status == 200  # served from the root, so it controls the whole app
        assert served.headers["service-worker-allowed"] == "/"
        await worker_joins(page, await relay.invite("worker"), artifacts)
        await page.evaluate(
            "async () => { await navigator.serviceWorker.ready;"
            " if (!navigator.serviceWorker.controller) await new Promise((ok) =>"
            " navigator.serviceWorker.addEventListener('controllerchange', ok)); }"
        )
        await poll(
            page,
            "async () => { const keys = await caches.keys();"
            " const name = keys.find((k) => k.startsWith('steuntje-shell-'));"
            " if (!name) return false; const cache = await caches.open(name);"
            " return Boolean(await cache.match('/app/lib/messenger.js'));}",
            "the service worker to cache the app shell",
        )
        await context.set_offline(True)
        await page.reload()
        await expect(page.get_by_role("heading", name="Mijn mantelzorgers")).to_be_visible()
        await expect(page.get_by_text("Geen verbinding.")).to_be_visible()
        await check_screen(page, artifacts, "offline-shell")
        watch.check()
    finally:
        await context.close()


async def test_second_tab_takes_over_and_back(browser, relay, artifacts: Path) -> None:
    """The app opened twice on one phone: the newer tab gets the connection, the older one
    says so plainly and takes it back with one tap."""
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    context, first = await new_phone(browser, watch, PHONE)
    try:
        await worker_joins(first, await relay.invite("worker"), artifacts)
        second = await context.new_page()
        watch.attach(second)
        await second.goto(relay.url)
        await expect(second.get_by_role("heading", name="Mijn mantelzorgers")).to_be_visible()
        await expect(first.get_by_text("Steuntje is open in een ander venster.")).to_be_visible()
        await check_screen(first, artifacts, "01-open-elsewhere")
        await first.get_by_role("button", name="Hier gebruiken").click()
        await expect(first.get_by_text("Steuntje is open in een ander venster.")).to_be_hidden()
        await expect(second.get_by_text("Steuntje is open in een ander venster.")).to_be_visible()
        watch.check()
    finally:
        await context.close()


async def test_worker_links_a_second_device(browser, relay, artifacts: Path) -> None:
    """A worker's laptop joins the account by a QR code from their phone's Settings."""
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    phone_context, phone = await new_phone(browser, watch, PHONE)
    laptop_context, laptop = await new_phone(browser, watch, LAPTOP)
    try:
        await worker_joins(phone, await relay.invite("worker"), artifacts)
        await phone.get_by_role("link", name="Instellingen").click()
        await phone.get_by_role("button", name="Koppel een apparaat").click()
        await expect(
            phone.get_by_role("img", name="QR-code om een apparaat te koppelen")
        ).to_be_visible()
        await check_screen(phone, artifacts, "03-link-device-qr")
        link = await phone.locator("#device-link").get_attribute("href")

        await laptop.goto(link)
        await expect(laptop.get_by_role("heading", name="Apparaat koppelen")).to_be_visible()
        await check_screen(laptop, artifacts, "04-link-device-join")
        await laptop.get_by_role("button", name="Koppel dit apparaat").click()
        await expect(laptop.get_by_role("heading", name="Mijn mantelzorgers")).to_be_visible()
        watch.check()
    finally:
        await phone_context.close()
        await laptop_context.close()
