"""A caregiver's phone loses Steuntje (issue 20): the app says so plainly, the worker makes a
recovery code, and one scan brings the caregiver back into the same account and case; the
worker's chart continues, the worker sees the new safety number, and a message that waited
for the old phone is shown to the worker as not arrived, never silently lost."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    decline_notifications,
    expect_message,
    messages,
    new_phone,
    send_text,
)


async def join(page, link: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Doe mee").click()
    await decline_notifications(page)


async def answer_checkin(worker, carer, question: str, answer: str) -> None:
    await worker.get_by_role("button", name="Vraag hoe het gaat").click()
    await worker.get_by_label("Vraag", exact=True).fill(question)
    await worker.get_by_role("button", name="Vraag versturen").click()
    checkin = messages(carer).filter(has_text=question)
    await checkin.get_by_role("button", name=answer, exact=True).click()
    await expect(
        messages(worker).filter(has_text=question).filter(has_text=f"Antwoord: {answer}")
    ).to_be_visible()


async def safety_number(worker) -> str:
    await worker.get_by_role("link", name="Veiligheidsnummer").click()
    number = worker.locator(".safety-number")
    await expect(number).to_have_count(1)
    text = await number.inner_text()
    await worker.get_by_role("link", name="Terug").click()
    return " ".join(text.split())


async def caregiver_state(relay) -> tuple[str, str, list[tuple[str, str]]]:
    """(caregiver account, case, that account's devices with their status) on the relay."""
    (case,) = await relay.ctx.storage.org_cases(relay.ctx.org_id)
    accounts = await relay.ctx.storage.list_accounts(relay.ctx.org_id)
    (caregiver,) = [a for a in accounts if a.role == "caregiver"]
    assert case["caregiver"] == caregiver.id
    return caregiver.id, case["id"], list(caregiver.devices)


async def test_a_wiped_phone_comes_back_into_the_same_case(browser, relay, artifacts: Path):
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    carer_context, carer = await new_phone(browser, watch, PHONE)
    wiped_context = None
    try:
        await join(worker, await relay.invite("worker"))
        await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ans")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        invite = await worker.locator("#invite-link").get_attribute("href")
        await join(carer, invite)
        await expect(
            carer.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()
        await worker.get_by_role("link", name="Stuur Ans een bericht").click()
        await send_text(worker, "Hoi Ans")
        await expect_message(carer, "Hoi Ans")
        await expect_message(worker, "Hoi Ans", "afgeleverd")
        await answer_checkin(worker, carer, "Hoe gaat het?", "Goed")
        before_number = await safety_number(worker)
        account, case, devices = await caregiver_state(relay)
        assert [status for _, status in devices] == ["active"]

        # The phone's storage is wiped (a reset, "clear browsing data"): nothing of this
        # context is left. A message the worker sends now waits for the old phone.
        await carer_context.close()
        await send_text(worker, "Ben je er nog?")
        await expect_message(worker, "Ben je er nog?", "verstuurd")
        wiped_context, phone = await new_phone(browser, watch, PHONE)
        await phone.goto(relay.url)
        await expect(phone.get_by_text("Had je Steuntje al")).to_be_visible()
        await phone.goto("about:blank")  # a link opens a fresh page load, not a hash change
        await phone.goto(invite)  # the old link, from the phone's history or a message
        await phone.get_by_role("button", name="Doe mee").click()
        await expect(phone.get_by_role("alert")).to_have_text(
            "Deze uitnodiging is al gebruikt. Vraag je ondersteuner om een nieuwe."
        )
        empty = phone.get_by_role("region", name="Steuntje is leeg op deze telefoon")
        await expect(empty).to_contain_text("Vraag je ondersteuner om een nieuwe code.")
        await expect(empty).to_contain_text("Die komen niet terug")
        await check_screen(phone, artifacts, "01-caregiver-empty")

        # The worker makes a recovery code on the caregiver's page.
        await worker.get_by_role("link", name="Nieuwe telefoon of alles kwijt?").click()
        await expect(
            worker.get_by_role("heading", name="Nieuwe telefoon of alles kwijt?")
        ).to_be_visible()
        await expect(worker.get_by_text("geef de code alleen aan Ans zelf")).to_be_visible()
        await worker.get_by_role("button", name="Maak herstelcode").click()
        await expect(
            worker.get_by_role("img", name="QR-code om terug te komen in Steuntje")
        ).to_be_visible()
        await check_screen(worker, artifacts, "02-worker-recovery-qr")
        link = await worker.locator("#recovery-link").get_attribute("href")
        assert link and f"&account={account}" in link

        await phone.goto("about:blank")
        await phone.goto(link)
        await expect(phone.get_by_role("heading", name="Welkom terug")).to_be_visible()
        await expect(phone.get_by_text("Oude berichten komen niet terug")).to_be_visible()
        await check_screen(phone, artifacts, "03-caregiver-welcome-back")
        await phone.get_by_role("button", name="Doe mee").click()
        await decline_notifications(phone)
        await expect(
            phone.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()

        # Same account, same case; the old phone is revoked, the new one active.
        after_account, after_case, after_devices = await caregiver_state(relay)
        assert (after_account, after_case) == (account, case)
        assert sorted(status for _, status in after_devices) == ["active", "revoked"]
        await expect(worker.get_by_text("Gelukt! Ans heeft een nieuwe telefoon.")).to_be_visible()
        await check_screen(worker, artifacts, "04-worker-recovery-done")

        await worker.get_by_role("link", name="Terug naar het gesprek").click()
        # The message that waited for the wiped phone: the worker sees it did not arrive.
        await expect_message(worker, "Ben je er nog?", "niet aangekomen")
        await send_text(worker, "Welkom terug, Ans")
        await expect_message(phone, "Welkom terug, Ans")
        await expect(messages(phone).filter(has_text="Ben je er nog?")).to_have_count(0)
        await answer_checkin(worker, phone, "En nu?", "Heel goed")
        after_number = await safety_number(worker)
        assert after_number != before_number  # a new phone: a new safety number

        await worker.get_by_role("link", name="Terug naar overzicht").click()
        card = worker.locator("li.caregiver").filter(has_text="Ans")
        await expect(card.locator("svg.chart circle")).to_have_count(2)  # the chart goes on
        await expect(card).to_contain_text("Laatst gebruikt:")  # who may have lost access

        # Settings say whether this browser promised to keep Steuntje, and what helps.
        await phone.get_by_role("link", name="Instellingen").click()
        await expect(phone.get_by_role("heading", name="Instellingen")).to_be_visible()
        storage = phone.get_by_role("region", name="Steuntje bewaren op deze telefoon")
        if await phone.evaluate("navigator.storage.persisted()"):
            await expect(storage).to_have_count(0)
        else:
            await expect(storage).to_contain_text("Zet Steuntje op je beginscherm")
            await expect(storage).to_contain_text("Vraag je ondersteuner om een nieuwe code")
        await check_screen(phone, artifacts, "05-caregiver-settings-storage")
        watch.check()
    finally:
        await worker_context.close()
        if wiped_context is not None:
            await wiped_context.close()


async def test_a_caregiver_whose_old_phone_still_works_can_keep_it(browser, relay):
    """The caregiver comes back on a second phone and ticks "my old phone still works":
    both phones stay in the same account and both get the worker's messages. Not ticked
    (the default, test above), the old phone is signed off."""
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    carer_context, carer = await new_phone(browser, watch, PHONE)
    second_context, second = await new_phone(browser, watch, PHONE)
    try:
        await join(worker, await relay.invite("worker"))
        await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ans")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        await join(carer, await worker.locator("#invite-link").get_attribute("href"))
        await expect(
            carer.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()
        await worker.get_by_role("link", name="Stuur Ans een bericht").click()
        await worker.get_by_role("link", name="Nieuwe telefoon of alles kwijt?").click()
        await worker.get_by_role("button", name="Maak herstelcode").click()
        link = await worker.locator("#recovery-link").get_attribute("href")

        await second.goto(link)
        await expect(second.get_by_role("heading", name="Welkom terug")).to_be_visible()
        keep = second.get_by_role("checkbox", name="Mijn oude telefoon werkt nog: houd hem aan")
        await expect(keep).not_to_be_checked()  # a lost or stolen phone must stop by default
        await keep.check()
        await second.get_by_role("button", name="Doe mee").click()
        await decline_notifications(second)
        await expect(
            second.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()

        _, _, devices = await caregiver_state(relay)
        assert [status for _, status in devices] == ["active", "active"]
        await expect(worker.get_by_text("Gelukt! Ans heeft een nieuwe telefoon.")).to_be_visible()
        await worker.get_by_role("link", name="Terug naar het gesprek").click()
        await send_text(worker, "Op welke telefoon lees je dit?")
        await expect_message(second, "Op welke telefoon lees je dit?")
        await expect_message(carer, "Op welke telefoon lees je dit?")  # the kept old phone
        watch.check()
    finally:
        for context in (worker_context, carer_context, second_context):
            await context.close()


async def approve(page, typed: str) -> None:
    await page.get_by_role("link", name="Herstelcode van een collega goedkeuren").click()
    await expect(page.get_by_role("heading", name="Herstel goedkeuren")).to_be_visible()
    await page.get_by_label("Herstelnummer").fill(typed)
    await page.get_by_role("button", name="Goedkeuren").click()


async def test_where_the_organisation_wants_it_a_colleague_approves_the_code(
    browser, relay, artifacts: Path
):
    """Policy recovery_issuers = case_workers_with_approval: the worker's screen shows the
    recovery number, the caregiver's link waits, the worker cannot approve their own code,
    a colleague approves it by number (typed loosely), and then the link works."""
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    policy = {"version": 1, "recovery_issuers": "case_workers_with_approval"}
    await admin.request("policy_set", {"document": policy})
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    colleague_context, colleague = await new_phone(browser, watch, LAPTOP)
    carer_context, carer = await new_phone(browser, watch, PHONE)
    second_context, second = await new_phone(browser, watch, PHONE)
    try:
        await join(worker, await relay.invite("worker"))
        await join(colleague, await relay.invite("worker"))
        await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ans")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        await join(carer, await worker.locator("#invite-link").get_attribute("href"))
        await worker.get_by_role("link", name="Stuur Ans een bericht").click()
        await worker.get_by_role("link", name="Nieuwe telefoon of alles kwijt?").click()
        await worker.get_by_role("button", name="Maak herstelcode").click()
        await expect(worker.get_by_text("Geef je collega dit nummer")).to_be_visible()
        number = await worker.locator(".recovery-id strong").inner_text()
        link = await worker.locator("#recovery-link").get_attribute("href")

        await second.goto(link)
        await second.get_by_role("button", name="Doe mee").click()
        await expect(second.get_by_role("alert")).to_contain_text(
            "Een tweede ondersteuner moet deze code nog goedkeuren"
        )
        await expect(second.get_by_role("button", name="Doe mee")).to_be_enabled()

        await worker.get_by_role("link", name="Terug naar het gesprek").click()
        await worker.get_by_role("link", name="Terug naar overzicht").click()
        await approve(worker, number)
        await expect(worker.get_by_role("alert")).to_contain_text("moet een collega goedkeuren")
        await approve(colleague, number.replace("-", " ").lower())
        done = colleague.locator("p[role=status]", has_text="Goedgekeurd.")
        await expect(done).to_have_text("Goedgekeurd. De herstelcode werkt nu.")
        await check_screen(colleague, artifacts, "06-colleague-approves")

        await second.get_by_role("button", name="Doe mee").click()
        await decline_notifications(second)
        await expect(
            second.get_by_role("heading", name="Berichten van je ondersteuner")
        ).to_be_visible()
        _, _, devices = await caregiver_state(relay)
        assert sorted(status for _, status in devices) == ["active", "revoked"]
        watch.check()
    finally:
        for context in (worker_context, colleague_context, carer_context, second_context):
            await context.close()
        await admin.close()
