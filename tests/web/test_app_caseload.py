"""A worker's caseload with more than one caregiver: naming, a check-in to a selection,
the order of attention, a nudge each reads in their own language, and a caregiver's phone
that never loads the worker's screens."""

from __future__ import annotations

import json
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
    decline_notifications,
    expect,
    expect_message,
    messages,
    new_phone,
    poll,
    send_text,
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
            await decline_notifications(phone)
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
        # Seen on the card, not only heard by screen readers (issue 14 item 3).
        await expect(bo_card.locator(".sent-note")).to_have_text("Steuntje verstuurd naar Bo ✓")
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


CALLBACKS = """() => new Promise((resolve, reject) => {
  const opened = indexedDB.open("steuntje");
  opened.onerror = () => reject(opened.error);
  opened.onsuccess = () => {
    const all = opened.result.transaction("messages").objectStore("messages").getAll();
    all.onsuccess = () => resolve(
      all.result.filter((m) => m.kind === "callback").map((m) => m.fields.status));
  };
})"""


async def wait_for_callbacks(phone, statuses: list[str]) -> None:
    """Until the caregiver's phone holds exactly these answers to "Bel me" (no PIN: the
    records are plain in IndexedDB)."""
    wanted = json.dumps(statuses, separators=(",", ":"))  # as JSON.stringify writes it
    try:
        await poll(
            phone,
            f"async () => JSON.stringify((await ({CALLBACKS})()).sort()) === '{wanted}'",
            f"the phone to hold the answers {statuses}",
        )
    except TimeoutError:
        held = sorted(await phone.evaluate(CALLBACKS))
        raise AssertionError(f"the phone holds {held}, not {statuses}") from None


async def test_call_request_stays_until_answered_and_the_chart_reads(
    browser, relay, artifacts: Path
) -> None:
    """A "Bel me" stays on the caseload after the chat is opened and answered in words,
    until the worker taps "Niet bereikt, probeer later" (then "Nog een keer bellen") and
    "Gebeld"; each answer reaches the caregiver's phone end to end. The filters show only
    who wants a call, who has not answered, whose mood went down. The mood chart names its
    scale, dates its points and says the latest answer in words."""
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    ria_context, ria = await new_phone(browser, watch, PHONE)
    try:
        await worker_joins(worker, await relay.invite("worker"), artifacts)
        await worker.get_by_role("link", name="Uitnodigen", exact=True).click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ria")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        link = await worker.locator("#invite-link").get_attribute("href")
        await ria.goto(link)
        await ria.get_by_role("button", name="Doe mee").click()
        await decline_notifications(ria)
        await expect(
            ria.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()
        # A second caregiver (a Python client) who never answers: the filters tell them apart.
        other = relay.client()
        await worker.get_by_role("link", name="Uitnodigen", exact=True).click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Kees")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        await other.register(await worker.locator("#invite-link").get_attribute("href"))
        await worker.get_by_role("link", name="Mijn mantelzorgers").click()
        cards = worker.locator("li.caregiver")
        await expect(cards).to_have_count(2)

        # Two check-ins to both; Ria answers "Heel goed", then "Niet goed".
        for answer in ("Heel goed", "Niet goed"):
            for name in ("Ria", "Kees"):
                await worker.get_by_label(f"Kies {name} voor een vraag").check()
            await worker.get_by_role("button", name="Vraag hoe het gaat aan 2 gekozen").click()
            await worker.get_by_role("button", name="Vraag versturen").click()
            await expect(
                worker.get_by_text("Vraag verstuurd naar 2 mantelzorgers.")
            ).to_be_visible()
            question = messages(ria).filter(has_text="Hoe gaat het")
            await expect(question).to_have_count(1 if answer == "Heel goed" else 2)
            await question.last.get_by_role("button", name=answer).click()
            await worker.get_by_role("link", name="Terug naar overzicht").click()
        ria_card = cards.filter(has_text="Ria")
        await expect(ria_card).to_contain_text(re.compile(r"Laatste antwoord: Niet goed \(\d+ \w+"))
        chart = ria_card.get_by_role("img", name=re.compile("Antwoorden van Ria"))
        await expect(chart).to_have_attribute(
            "aria-label", re.compile(r"oud naar nieuw: \d+ \w+\.? Heel goed, \d+ \w+\.? Niet goed$")
        )
        axis = ria_card.locator("svg.chart text")
        await expect(axis.filter(has_text="Heel goed")).to_have_count(1)
        await expect(axis.filter(has_text="Heel slecht")).to_have_count(1)
        await expect(ria_card.locator("svg.chart text.date")).not_to_have_count(0)
        await expect(ria_card).to_contain_text("Stemming gaat omlaag")

        # Ria asks for a call. Opening her chat and writing back does not close it.
        await ria.get_by_role("button", name="Bel me").click()
        await expect(ria_card).to_contain_text("Wil gebeld worden")
        await ria_card.get_by_role("link", name="Ria").click()
        await send_text(worker, "Ik bel je straks")
        await expect_message(ria, "Ik bel je straks")
        await worker.get_by_role("link", name="Terug naar overzicht").click()
        await expect(ria_card).to_contain_text("Wil gebeld worden")
        # Who wants a call comes first.
        await expect(cards.locator("h2")).to_have_text(["Ria", "Kees"])
        await check_screen(worker, artifacts, "10-caseload-wants-call")

        # The filters.
        show = worker.get_by_label("Laat zien")
        await show.select_option(label="Wil gebeld worden")
        await expect(cards.locator("h2")).to_have_text(["Ria"])
        await expect(worker.get_by_text("1 van de 2 mantelzorgers")).to_be_visible()
        await check_screen(worker, artifacts, "11-caseload-filter-call")
        await show.select_option(label="Nog geen antwoord op vraag")
        await expect(cards.locator("h2")).to_have_text(["Kees"])
        await show.select_option(label="Stemming gaat omlaag")
        await expect(cards.locator("h2")).to_have_text(["Ria"])
        await show.select_option(label="Wil gebeld worden")

        # Not reached: parked, and Ria's phone hears it.
        calls = worker.get_by_role("group", name="Terugbellen naar Ria")
        await calls.get_by_role("button", name="Niet bereikt, probeer later").click()
        await expect(ria_card).to_contain_text("Nog een keer bellen")
        await expect(ria_card).not_to_contain_text("Wil gebeld worden")
        await wait_for_callbacks(ria, ["retry"])
        # Called: the card is calm again, and the filter says so.
        await calls.get_by_role("button", name="Gebeld").click()
        await expect(worker.get_by_text("Niemand op dit moment.")).to_be_visible()
        await show.select_option(label="Iedereen")
        await expect(ria_card).not_to_contain_text("Nog een keer bellen")
        await expect(ria_card.get_by_role("button", name="Gebeld")).to_have_count(0)
        await wait_for_callbacks(ria, ["done", "retry"])
        await check_screen(worker, artifacts, "12-caseload-called")
        watch.check()
    finally:
        for context in (worker_context, ria_context):
            await context.close()
