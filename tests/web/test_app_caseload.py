"""A worker's caseload with more than one caregiver: naming, a check-in to a selection,
the order of attention, a nudge each reads in their own language, and a caregiver's phone
that never loads the worker's screens."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    expect,
    expect_message,
    messages,
    new_phone,
    worker_joins,
)

pytestmark = pytest.mark.timeout(240)


async def test_checkin_to_a_selection(browser, relay, artifacts: Path) -> None:
    """Two caregivers, one reading English: a worker names the one who joined while the
    invite screen was closed, sends one check-in to both (each encrypted on its own), and
    a nudge that each reads in their own language. A caregiver's phone never downloads the
    worker's screens."""
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    # Bo's phone asks for reduced motion: nothing on it may animate.
    phones = [
        await new_phone(browser, watch, PHONE),
        await new_phone(browser, watch, PHONE, reduced_motion="reduce"),
    ]
    (ans_context, ans), (bo_context, bo) = phones
    loaded: list[str] = []
    for _, phone in phones:
        phone.on("request", lambda request: loaded.append(urlsplit(request.url).path))
    try:
        await worker_joins(worker, await relay.invite("worker"), artifacts)
        for name, phone in (("Ans", ans), ("", bo)):
            await worker.get_by_role("link", name="Uitnodigen", exact=True).click()
            await worker.get_by_label("Naam van de mantelzorger").fill(name)
            await worker.get_by_role("button", name="Maak uitnodiging").click()
            link = await worker.locator("#invite-link").get_attribute("href")
            await worker.get_by_role("link", name="Mijn mantelzorgers").click()
            await phone.goto(link)
            await phone.get_by_role("button", name="Doe mee").click()
            await expect(
                phone.get_by_role("heading", name=re.compile("Berichten van"))
            ).to_be_visible()

        # Bo joined while the worker was on another screen: named from the caseload.
        unnamed = worker.locator("li.caregiver").filter(has_text="Nieuwe mantelzorger")
        await unnamed.get_by_label("Naam", exact=True).fill("Bo")
        await unnamed.get_by_role("button", name="Bewaar").click()
        await expect(worker.locator("li.caregiver").filter(has_text="Bo")).to_be_visible()
        await check_screen(worker, artifacts, "01-caseload-two")

        # Bo reads English.
        await bo.get_by_role("link", name="Instellingen").click()
        await bo.get_by_label("English").check()
        await bo.get_by_role("link", name="Messages").click()

        for name in ("Ans", "Bo"):
            await worker.get_by_label(f"Kies {name} voor een vraag").check()
        await worker.get_by_role("button", name="Vraag hoe het gaat aan 2 gekozen").click()
        await worker.get_by_role("button", name="Vraag versturen").click()
        await expect(worker.get_by_text("Vraag verstuurd naar 2 mantelzorgers.")).to_be_visible()
        await expect_message(ans, "Hoe gaat het met je?")
        await expect_message(bo, "Hoe gaat het met je?")
        assert await bo.evaluate("document.getAnimations().length") == 0
        await check_screen(bo, artifacts, "02-caregiver-english-checkin")
        await (
            messages(ans)
            .filter(has_text="Hoe gaat het")
            .get_by_role("button", name="Heel goed")
            .click()
        )

        await worker.get_by_role("link", name="Terug naar overzicht").click()
        bo_card = worker.locator("li.caregiver").filter(has_text="Bo")
        ans_card = worker.locator("li.caregiver").filter(has_text="Ans")
        await expect(bo_card).to_contain_text("Nog geen antwoord op vraag")
        await expect(ans_card.locator("svg.chart circle")).to_have_count(1)
        await expect(ans_card).not_to_contain_text("Nog geen antwoord op vraag")
        # Who still owes an answer is listed first.
        await expect(worker.locator("li.caregiver h2")).to_have_text(["Bo", "Ans"])

        await bo_card.get_by_role("button", name="Steuntje sturen").click()
        await bo_card.get_by_role("button", name="Goed gedaan!").click()
        await expect_message(bo, "Well done!")
        await check_screen(worker, artifacts, "03-caseload-after-checkin")

        worker_only = [
            path for path in loaded if "/screens/caseload" in path or "/screens/invite" in path
        ]
        assert worker_only == [], f"a caregiver's phone loaded worker screens: {worker_only}"
        watch.check()
    finally:
        for context in (worker_context, ans_context, bo_context):
            await context.close()
