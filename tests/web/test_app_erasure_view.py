"""When a caregiver erases their account, the others see it (issue 14 item 10): on every
member's device the group's screens update by themselves — the number of people, "Wie doen
er mee?" (Ria marked as gone, no mute or take-out buttons for her) and a line in the
conversation ("Ria doet niet meer mee") — and the worker's caseload says that Ria erased
her account instead of silently dropping her row. Three browsers on a real relay; axe on
every changed screen; no sleeps: every wait is on something a person would see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    decline_notifications,
    expect,
    messages,
    new_phone,
    worker_joins,
)

pytestmark = pytest.mark.timeout(300)

GROUP = "Mantelzorgers De Rijp"


async def onboard_caregiver(worker, phone, name: str) -> None:
    await worker.get_by_role("link", name="Uitnodigen", exact=True).click()
    await worker.get_by_label("Naam van de mantelzorger").fill(name)
    await worker.get_by_role("button", name="Maak uitnodiging").click()
    link = await worker.locator("#invite-link").get_attribute("href")
    await phone.goto(link)
    await phone.get_by_role("button", name="Doe mee").click()
    await decline_notifications(phone)
    await expect(phone.get_by_role("heading", name=re.compile("Berichten van"))).to_be_visible()
    await expect(worker.get_by_text(f"Gelukt! {name} doet mee.")).to_be_visible()


async def start_group(worker) -> None:
    await worker.get_by_role("link", name="Groepen").click()
    await worker.get_by_role("button", name="Nieuwe groep maken").click()
    await worker.get_by_label("Naam van de groep").fill(GROUP)
    await worker.get_by_label("Jouw naam in de groep").fill("Mies")
    await worker.get_by_role("button", name="Maak de groep").click()
    await expect(worker.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()


async def join(worker, phone, name: str) -> None:
    """A fresh one-join link from the facilitator's QR screen, and a chosen name."""
    await worker.get_by_role("link", name="Mensen uitnodigen").click()
    await worker.get_by_role("button", name="Maak uitnodiging").click()
    link = await worker.locator("#group-invite-link").get_attribute("href")
    await worker.get_by_role("link", name="Terug naar de groep").click()
    await phone.goto(link)
    await phone.get_by_label("Jouw naam in de groep").fill(name)
    await phone.get_by_role("button", name="Doe mee met de groep").click()
    await expect(phone.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()
    await expect(messages(worker).filter(has_text=f"{name} doet mee")).not_to_have_count(0)


async def erase(phone) -> None:
    await phone.get_by_role("link", name="Instellingen").click()
    await phone.get_by_role("button", name="Verwijder mijn account").click()
    await phone.get_by_role("button", name="Ja, verwijder alles").click()


async def test_an_erased_caregiver_is_seen_to_go(browser, relay, artifacts: Path) -> None:
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    ria_context, ria = await new_phone(browser, watch, PHONE)
    kees_context, kees = await new_phone(browser, watch, PHONE)
    try:
        await worker_joins(worker, await relay.invite("worker"), artifacts)
        for name, phone in (("Ria", ria), ("Kees", kees)):
            await onboard_caregiver(worker, phone, name)
        # The worker's home screen: both are on it.
        await worker.get_by_role("link", name="Mijn mantelzorgers").click()
        await expect(worker.locator("li.caregiver")).to_have_count(2)
        await start_group(worker)
        for name, phone in (("Ria", ria), ("Kees", kees)):
            await join(worker, phone, name)

        # The worker has "Wie doen er mee?" open, Kees the conversation.
        await worker.get_by_role("link", name="Wie doen er mee?").click()
        members = worker.locator("li.member")
        ria_card = members.filter(has=worker.get_by_role("heading", name="Ria"))
        await expect(worker.get_by_text("3 personen doen mee")).to_be_visible()
        await expect(ria_card.get_by_role("button", name="Zet Ria even stil")).to_be_visible()

        await erase(ria)
        await expect(ria.get_by_role("heading", name="Je account is weg")).to_be_visible()

        # Every member's screen follows, without a reload.
        await expect(ria_card).to_contain_text("Doet niet meer mee")
        await expect(worker.get_by_text("2 personen doen mee")).to_be_visible()
        await expect(ria_card.get_by_role("button")).to_have_count(0)
        await expect(ria_card.get_by_role("combobox")).to_have_count(0)
        kees_card = members.filter(has=worker.get_by_role("heading", name="Kees"))
        await expect(kees_card.get_by_role("button", name="Zet Kees even stil")).to_be_visible()
        await check_screen(worker, artifacts, "01-members-after-erasure")
        line = messages(kees).filter(has_text="Ria doet niet meer mee")
        await expect(line).to_have_count(1)
        await check_screen(kees, artifacts, "02-group-line-after-erasure")
        await worker.get_by_role("link", name="Terug naar de groep").click()
        await expect(messages(worker).filter(has_text="Ria doet niet meer mee")).to_have_count(1)
        await kees.get_by_role("link", name="Terug naar groepen").click()
        card = kees.locator("li.group-card").filter(has_text=GROUP)
        await expect(card).to_contain_text("2 personen")

        # The caseload says what happened, and keeps the row until the worker takes it away.
        await worker.get_by_role("link", name="Mijn mantelzorgers").click()
        gone = worker.locator("li.caregiver").filter(has_text="Ria")
        await expect(gone).to_contain_text("Ria heeft het account gewist.")
        await expect(gone.get_by_role("button", name="Steuntje sturen")).to_have_count(0)
        await expect(worker.locator("li.caregiver").filter(has_text="Kees")).to_contain_text(
            "Laatste contact"
        )
        await check_screen(worker, artifacts, "03-caseload-after-erasure")
        # It stays after a reload (the device remembers whom it knew).
        await worker.reload()
        await expect(gone).to_contain_text("Ria heeft het account gewist.")
        await gone.get_by_role("button", name=re.compile(r"Weghalen uit de lijst\W+Ria")).click()
        await expect(worker.locator("li.caregiver")).to_have_count(1)
        watch.check()
    finally:
        for context in (worker_context, ria_context, kees_context):
            await context.close()
