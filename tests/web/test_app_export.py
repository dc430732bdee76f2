"""'Download mijn gegevens' keeps its promise (issue 14 item 11): the download holds what the
relay keeps *and* what this device keeps — the messages themselves (texts, check-ins and
answers, nudges, a call request), each with its time and direction — not only a count. The
readable page is made in the app's language, addresses the person as "je" (or "you"), uses
words for roles and states, and passes axe in Chromium. The worker is the Python client."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from test_app_support import (
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    decline_notifications,
    expect,
    messages,
    new_phone,
    send_text,
)
from test_lib_support import python_worker

pytestmark = pytest.mark.timeout(240)

NOW = int(time.time())


async def download(page, link) -> str:
    """What a tap on a download link saves, as the person would get it."""
    async with page.expect_download() as started:
        await link.click()
    saved = Path(await (await started.value).path())
    return await asyncio.to_thread(saved.read_text, encoding="utf-8")


# What each language's page must say, and what it must never say.
WORDS = {
    "nl": {
        "settings": "Instellingen",
        "download": "Download mijn gegevens",
        "json": "Gegevens (JSON)",
        "html": "Gegevens (leesbare pagina)",
        "title": "Wat Steuntje over jou bewaart",
        "conversation": "Gesprek met je ondersteuner",
        "role": "Mantelzorger",
        "state": "Actief",
        "sent": "verstuurd",
        "received": "ontvangen",
        "answer": "Goed",
        "call": "Bel me alsjeblieft",
        "log": "Wie iets met je gegevens deed",
        "exported": "Gegevens gedownload",
        "you": "jij",
        "never": re.compile(r"\b([Uu]w?)\b|\bcaregiver\b|\bactive\b"),
    },
    "en": {
        "settings": "Settings",
        "download": "Download my data",
        "json": "Data (JSON)",
        "html": "Data (readable page)",
        "title": "What Steuntje keeps about you",
        "conversation": "Conversation with your support worker",
        "role": "Caregiver",
        "state": "Active",
        "sent": "sent",
        "received": "received",
        "answer": "Good",
        "call": "Please call me",
        "log": "Who did something with your data",
        "exported": "Data exported",
        "you": "you",
        "never": re.compile(r"\b(mantelzorger|actief|jij|je)\b"),
    },
}


async def caregiver_with_a_conversation(page, relay):
    """A caregiver whose phone holds a text, a nudge, a check-in and its answer from the
    worker, and a text and a call request of their own."""
    _admin, worker = await python_worker(relay, NOW)
    link = (await worker.relay.create_invite("caregiver"))["link"]
    await page.goto(f"{link}&fp={worker.device_id}")
    await page.get_by_role("button", name="Doe mee").click()
    await decline_notifications(page)
    await expect(page.get_by_role("button", name="Bel me")).to_be_visible()
    carer = (await worker.relay.cases())[-1]["caregiver"]
    await worker.send_text(carer, "Hallo Ria, ik ben Sanne")
    await worker.send_nudge(carer, "💛", "thinking_of_you")
    await worker.send_checkin(carer, "Hoe gaat het vandaag?")
    question = messages(page).filter(has_text="Hoe gaat het vandaag?")
    await question.get_by_role("button", name="Goed", exact=True).click()
    await send_text(page, "Het gaat wel, dankjewel")
    await page.get_by_role("button", name="Bel me").click()
    await expect(messages(page).filter(has_text="Het gaat wel, dankjewel")).to_have_count(1)
    return worker


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_export_holds_the_messages_this_device_keeps(
    browser, relay, artifacts: Path, language: str
) -> None:
    clear_screenshots(artifacts)
    words = WORDS[language]
    watch = Watch(relay.url)
    context, page = await new_phone(browser, watch, PHONE)
    try:
        await caregiver_with_a_conversation(page, relay)
        await page.get_by_role("link", name="Instellingen").click()
        if language == "en":
            await page.get_by_label("English").check()
        await expect(page.get_by_role("heading", name=words["settings"], level=1)).to_be_visible()
        await page.get_by_role("button", name=words["download"]).click()
        json_link = page.get_by_role("link", name=words["json"])
        await expect(json_link).to_be_focused()

        # The JSON: the relay's part and this device's messages, with time and direction.
        data = json.loads(await download(page, json_link))
        assert data["relay"]["account"]["role"] == "caregiver"
        (conversation,) = data["thisDevice"]["conversations"]
        held = conversation["messages"]
        kinds = [(m["direction"], m["kind"]) for m in held]
        for expected in [
            ("received", "text"),
            ("received", "nudge"),
            ("received", "checkin"),
            ("sent", "checkin_answer"),
            ("sent", "text"),
            ("sent", "call_me"),
        ]:
            assert expected in kinds, f"{expected} missing from {kinds}"
        texts = {m["fields"].get("text"): m["direction"] for m in held if m["kind"] == "text"}
        assert texts == {"Hallo Ria, ik ben Sanne": "received", "Het gaat wel, dankjewel": "sent"}
        assert all(isinstance(m["sentAt"], int) and m["sentAt"] >= NOW - 5 for m in held)
        answer = next(m for m in held if m["kind"] == "checkin_answer")
        assert answer["fields"]["answer"] == 4

        # The readable page, opened as the person would, in the app's language.
        html_link = page.get_by_role("link", name=words["html"])
        html = await download(page, html_link)
        reader = await context.new_page()
        watch.attach(reader)
        await reader.set_content(html)
        await expect(reader.get_by_role("heading", name=words["title"], level=1)).to_be_visible()
        assert await reader.evaluate("document.documentElement.lang") == language
        body = await reader.locator("main").inner_text()
        conversation_heading = reader.get_by_role("heading", name=words["conversation"])
        await expect(conversation_heading).to_be_visible()
        rows = reader.locator("table").last.locator("tr")
        # A header row and one row per message the device holds.
        await expect(rows).to_have_count(len(held) + 1)
        for text, direction in [
            ("Hallo Ria, ik ben Sanne", words["received"]),
            ("Het gaat wel, dankjewel", words["sent"]),
            ("Hoe gaat het vandaag?", words["received"]),
            (words["answer"], words["sent"]),
            (words["call"], words["sent"]),
        ]:
            row = rows.filter(has_text=text).first
            await expect(row).to_contain_text(direction)
            # Each with the time it was written.
            await expect(row.locator("td").first).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
        # The log's lines about the person: this download is one, done by "you".
        log = reader.get_by_role("region", name=re.compile(words["log"]))
        exported = log.locator("tr").filter(has_text=words["exported"])
        await expect(exported.first).to_contain_text(words["you"])
        for word in (words["role"], words["state"]):
            await expect(reader.locator("td", has_text=re.compile(f"^{word}$"))).not_to_have_count(
                0
            )
        stray = words["never"].search(body)
        assert stray is None, f"not this language's words: {stray.group(0)!r}"
        assert "<script" not in html
        await check_screen(reader, artifacts, f"01-export-page-{language}")
        watch.check()
    finally:
        await context.close()
