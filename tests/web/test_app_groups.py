"""Peer-support groups (lotgenotencontact, docs/groups.md) in the web app, end to end: a
support worker and two caregivers, three browser contexts on a real relay.

The worker starts a group; Anna joins from the QR code's link and picks her display name;
Bo tries the same (used) link and is refused kindly, then joins from the invitation card
the worker sent into his own case conversation. They exchange a text, a heart and a nudge,
each seen on the other phones with the sender's chosen name; membership changes show as
plain lines. The retention banner shows the group's policy and follows when the facilitator
changes it. The facilitator mutes Bo (his phone says so and will not send), lets him talk
again, Bo leaves by himself, and the facilitator takes Anna out. Every group screen is
checked with axe-core (0 violations), touch targets of 44 px, no sideways scrolling at
320 px, and screenshotted into `artifacts`. No sleeps: every wait is on something visible.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from test_app_support import (
    LAPTOP,
    PHONE,
    SENT,
    Watch,
    check_screen,
    clear_screenshots,
    decline_notifications,
    expect,
    expect_message,
    messages,
    new_phone,
    send_text,
    worker_joins,
)

pytestmark = pytest.mark.timeout(300)

GROUP = "Mantelzorgers Alkmaar-Noord"
RULES = "We zijn aardig tegen elkaar. Wat hier gezegd wordt, blijft in de groep."


async def test_peer_support_group(browser, relay, artifacts: Path) -> None:
    clear_screenshots(artifacts)
    # A mute ends at a time the browser reads from its own clock and the relay checks
    # against its (fake) one (at most 30 days ahead): set the relay's clock to the browsers'.
    relay.clock.advance(time.time() - relay.clock.now())
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    ans_context, ans = await new_phone(browser, watch, PHONE)
    bo_context, bo = await new_phone(browser, watch, PHONE)
    try:
        await worker_joins(worker, await relay.invite("worker"), artifacts)
        for name, phone in (("Ans", ans), ("Bo", bo)):
            await onboard_caregiver(worker, phone, name)

        await start_group(worker, ans, artifacts)
        link = await qr_invite(worker, artifacts)
        await join_by_link(ans, link, "Anna", artifacts)
        await used_link_refused(bo, link, artifacts)
        await join_from_card(worker, bo, artifacts)
        await talk(worker, ans, bo, artifacts)
        await members_and_names(worker, ans, artifacts)
        await retention_banner_follows(worker, ans, artifacts)
        await mute_and_unmute(worker, bo, artifacts)
        await bo_leaves(worker, bo, artifacts)
        await anna_removed(worker, ans, artifacts)
        await worker_closes_the_group(worker, artifacts)
        watch.check()
    finally:
        for context in (worker_context, ans_context, bo_context):
            await context.close()


async def onboard_caregiver(worker, phone, name: str) -> None:
    """The kitchen-table invite of test_app_journey, short: each caregiver gets a case."""
    await worker.get_by_role("link", name="Uitnodigen", exact=True).click()
    await worker.get_by_label("Naam van de mantelzorger").fill(name)
    await worker.get_by_role("button", name="Maak uitnodiging").click()
    link = await worker.locator("#invite-link").get_attribute("href")
    await phone.goto(link)
    await phone.get_by_role("button", name="Doe mee").click()
    await decline_notifications(phone)
    await expect(phone.get_by_role("heading", name=re.compile("Berichten van"))).to_be_visible()
    await expect(worker.get_by_text(f"Gelukt! {name} doet mee.")).to_be_visible()


async def start_group(worker, ans, artifacts: Path) -> None:
    """The worker starts a group; a caregiver who is in none is told how to get in."""
    await ans.get_by_role("link", name="Groepen").click()
    await expect(ans.get_by_role("heading", name="Groepen")).to_be_visible()
    await expect(ans.get_by_text("Je doet nog niet mee met een groep.")).to_be_visible()
    await check_screen(ans, artifacts, "01-caregiver-no-groups")

    await worker.get_by_role("link", name="Groepen").click()
    await expect(worker.get_by_text("Nog geen groepen.")).to_be_visible()
    await worker.get_by_role("button", name="Nieuwe groep maken").click()
    await worker.get_by_label("Naam van de groep").fill(GROUP)
    await worker.get_by_label("Korte uitleg (mag leeg blijven)").fill("Elke week even bijpraten")
    await worker.get_by_label("Afspraken").fill(RULES)
    # The group's name alone is not enough: the others need to know what to call the worker.
    await worker.get_by_role("button", name="Maak de groep").click()
    await expect(worker.get_by_role("alert")).to_have_text(
        "Vul de naam van de groep en jouw naam in."
    )
    await worker.get_by_label("Jouw naam in de groep").fill("Mies")
    await check_screen(worker, artifacts, "02-worker-new-group")
    await worker.get_by_role("button", name="Maak de groep").click()
    await expect(worker.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()
    banner = worker.locator("section.retention")
    await expect(banner).to_contain_text("Hoe lang berichten blijven")
    await expect(banner).to_contain_text("Berichten verdwijnen na 30 dagen vanzelf")
    await expect(banner).to_contain_text("hoogstens 14 dagen")
    await expect(worker.locator("section.rules")).to_contain_text(RULES)
    await check_screen(worker, artifacts, "03-worker-group-new")

    await worker.get_by_role("link", name="Terug naar groepen").click()
    card = worker.locator("li.group-card").filter(has_text=GROUP)
    await expect(card).to_contain_text("Jij begeleidt deze groep")
    await check_screen(worker, artifacts, "04-worker-groups")
    await card.get_by_role("link", name=GROUP).click()


async def qr_invite(worker, artifacts: Path) -> str:
    await worker.get_by_role("link", name="Mensen uitnodigen").click()
    await expect(worker.get_by_role("heading", name=f"Uitnodigen voor {GROUP}")).to_be_visible()
    await worker.get_by_role("button", name="Maak uitnodiging").click()
    await expect(
        worker.get_by_role("img", name="QR-code met de uitnodiging voor de groep")
    ).to_be_visible()
    link = await worker.locator("#group-invite-link").get_attribute("href")
    assert link and "#group=" in link
    await check_screen(worker, artifacts, "05-worker-group-qr")
    return link


async def join_by_link(phone, link: str, display_name: str, artifacts: Path) -> None:
    """From the QR code: a name the others will see, explained in plain words."""
    await phone.goto(link)
    await expect(phone.get_by_role("heading", name="Meedoen met een groep")).to_be_visible()
    assert "group=" not in phone.url, "the ticket must leave the address bar"
    await expect(phone.get_by_text("De anderen in de groep zien alleen deze naam.")).to_be_visible()
    # An empty name is asked for, not sent.
    await phone.get_by_role("button", name="Doe mee met de groep").click()
    await expect(phone.get_by_role("alert")).to_have_text("Vul eerst een naam in.")
    await phone.get_by_label("Jouw naam in de groep").fill(display_name)
    await check_screen(phone, artifacts, "06-caregiver-group-join")
    await phone.get_by_role("button", name="Doe mee met de groep").click()
    await expect(phone.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()
    await expect(phone.locator("section.rules")).to_contain_text(RULES)
    await expect(phone.locator("section.retention")).to_contain_text("30 dagen")


async def used_link_refused(bo, link: str, artifacts: Path) -> None:
    """A ticket is good for one join: the second person is told what to do."""
    await bo.goto(link)
    await bo.get_by_label("Jouw naam in de groep").fill("Bo")
    await bo.get_by_role("button", name="Doe mee met de groep").click()
    await expect(bo.get_by_role("alert")).to_have_text(
        "Deze uitnodiging is al gebruikt. Vraag de begeleider om een nieuwe."
    )
    await expect(bo.get_by_role("button", name="Doe mee met de groep")).to_be_disabled()
    await check_screen(bo, artifacts, "07-caregiver-group-link-used")
    await bo.get_by_role("link", name="Nu niet").click()
    await expect(bo.get_by_role("heading", name=re.compile("Berichten van"))).to_be_visible()


async def join_from_card(worker, bo, artifacts: Path) -> None:
    """The worker sends the invitation into Bo's case conversation; Bo joins from the card."""
    await worker.get_by_role("button", name="Stuur uitnodiging aan Bo").click()
    await expect(
        worker.get_by_text(f"De uitnodiging voor {GROUP} is naar Bo gestuurd.")
    ).to_be_visible()
    await check_screen(worker, artifacts, "08-worker-group-invite-sent")

    card = messages(bo).filter(has_text="Uitnodiging voor een groep")
    await expect(card).to_contain_text(GROUP)
    await check_screen(bo, artifacts, "09-caregiver-chat-group-card")
    await card.get_by_role("button", name="Doe mee met de groep").click()
    await expect(bo.get_by_text(f"Je bent uitgenodigd voor de groep {GROUP}.")).to_be_visible()
    await bo.get_by_label("Jouw naam in de groep").fill("Bo")
    await bo.get_by_role("button", name="Doe mee met de groep").click()
    await expect(bo.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()

    # The worker's side of the case conversation shows what was sent.
    await worker.get_by_role("link", name="Mijn mantelzorgers").click()
    await (
        worker.locator("li.caregiver")
        .filter(has_text="Bo")
        .get_by_role("link", name="Open gesprek")
        .click()
    )
    await expect(
        messages(worker).filter(has_text=f"Je hebt Bo uitgenodigd voor de groep {GROUP}.")
    ).to_be_visible()


async def open_group(page) -> None:
    await page.get_by_role("link", name="Groepen").click()
    await page.locator("li.group-card").filter(has_text=GROUP).get_by_role("link").click()
    await expect(page.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()


async def talk(worker, ans, bo, artifacts: Path) -> None:
    """Text, heart, nudge: everyone sees who wrote what by the name they chose."""
    await open_group(worker)
    await expect(messages(worker).filter(has_text="Anna doet mee")).to_be_visible()
    await expect(messages(worker).filter(has_text="Bo doet mee")).to_be_visible()

    await send_text(ans, "Hallo allemaal, fijn dat deze groep er is")
    await expect_message(ans, "Hallo allemaal", SENT)
    for phone in (worker, bo):
        item = messages(phone).filter(has_text="Hallo allemaal")
        await expect(item.locator(".author")).to_have_text("Anna")
    await expect(bo.locator("#announcer")).to_have_text(
        "Nieuw bericht van Anna: Hallo allemaal, fijn dat deze groep er is"
    )

    heart = messages(bo).filter(has_text="Hallo allemaal")
    await heart.get_by_role("button", name="Stuur een hartje").click()
    await expect(heart.get_by_role("button", name="Stuur een hartje")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(messages(ans).filter(has_text="Hallo allemaal").locator(".reaction")).to_have_text(
        "💛"
    )

    await bo.get_by_role("button", name="Stuur een steuntje").click()
    await bo.get_by_role("button", name="Plaatje 🌷").click()
    await check_screen(bo, artifacts, "10-caregiver-group-nudge")
    await bo.get_by_role("button", name="Ik denk aan je").click()
    for phone in (ans, worker):
        item = messages(phone).filter(has_text="Ik denk aan je")
        await expect(item).to_contain_text("🌷")
        await expect(item.locator(".author")).to_have_text("Bo")
    await worker_shares_a_leaflet(worker, ans)
    await check_screen(ans, artifacts, "11-caregiver-group-chat")
    await check_screen(worker, artifacts, "12-worker-group-chat")


async def worker_shares_a_leaflet(worker, ans) -> None:
    """ "📎 Bestand" is the worker's, in a group as in a chat: a PDF leaflet reaches Anna,
    whose bar has "Foto" and "Inspreken" but no "Bestand"."""
    await expect(ans.get_by_role("button", name="Foto", exact=True)).to_be_visible()
    await expect(ans.get_by_role("button", name="Inspreken")).to_be_visible()
    await expect(ans.get_by_role("button", name="Bestand", exact=True)).to_have_count(0)
    leaflet = b"%PDF-1.4\n% Tips voor een rustige avond\n%%EOF\n"
    async with worker.expect_file_chooser() as chosen:
        await worker.get_by_role("button", name="Bestand", exact=True).click()
    await (await chosen.value).set_files(
        {"name": "tips.pdf", "mimeType": "application/pdf", "buffer": leaflet}
    )
    await expect(worker.locator(".media-status")).to_have_text("Bestand verstuurd ✓")
    item = messages(ans).filter(has=ans.get_by_role("button", name=re.compile("^tips.pdf ophalen")))
    await expect(item.locator(".author")).to_have_text("Mies")
    await item.get_by_role("button", name=re.compile("^tips.pdf ophalen")).click()
    await expect(ans.get_by_role("link", name="tips.pdf openen")).to_have_attribute(
        "href", re.compile("^blob:")
    )


async def members_and_names(worker, ans, artifacts: Path) -> None:
    """The member list shows chosen names; the worker picks theirs, the others see it."""
    await worker.get_by_role("link", name="Wie doen er mee?").click()
    await expect(worker.get_by_role("heading", name=f"Wie doen er mee in {GROUP}?")).to_be_visible()
    members = worker.locator("li.member")
    for name in ("Anna", "Bo"):
        await expect(members.filter(has=worker.get_by_role("heading", name=name))).to_be_visible()
    await check_screen(worker, artifacts, "13-worker-group-members")

    await ans.get_by_role("link", name="Wie doen er mee?").click()
    mies = ans.locator("li.member").filter(has=ans.get_by_role("heading", name="Mies"))
    await expect(mies).to_contain_text("Begeleider")
    await expect(ans.locator("li.member").filter(has_text="Dit ben jij")).to_contain_text("Anna")
    # A caregiver has no tools over others.
    await expect(ans.get_by_role("button", name=re.compile("uit de groep", re.I))).to_have_count(0)
    await check_screen(ans, artifacts, "14-caregiver-group-members")
    await ans.get_by_role("link", name="Terug naar de groep").click()
    await expect(ans.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()

    # A new name reaches the others, also on what was written before.
    await worker.get_by_label("Jouw naam in de groep").fill("Mies B")
    await worker.get_by_role("button", name="Bewaar", exact=True).click()
    await expect(worker.get_by_text("Je naam is bewaard.")).to_be_visible()
    await worker.get_by_role("link", name="Terug naar de groep").click()
    await send_text(worker, "Welkom! Ik ben Mies, ik begeleid de groep.")
    item = messages(ans).filter(has_text="Ik ben Mies")
    await expect(item.locator(".author")).to_have_text("Mies B")
    await expect(messages(ans).filter(has_text="Ik denk aan je").locator(".author")).to_have_text(
        "Bo"
    )


async def retention_banner_follows(worker, ans, artifacts: Path) -> None:
    """The facilitator shortens how long messages stay; every member's banner says so."""
    await worker.get_by_role("link", name="Wie doen er mee?").click()
    await worker.get_by_label("Berichten verdwijnen van de telefoons na").select_option("7d")
    await worker.get_by_label(re.compile("De server bewaart een bericht")).select_option("3d")
    await worker.get_by_role("button", name="Bewaar deze tijden").click()
    await expect(
        worker.get_by_text("Bewaard. Iedereen in de groep ziet het nu bovenaan.")
    ).to_be_visible()
    await check_screen(worker, artifacts, "15-worker-group-policy")
    await worker.get_by_role("link", name="Terug naar de groep").click()
    banner = worker.locator("section.retention")
    await expect(banner).to_contain_text("Berichten verdwijnen na 7 dagen vanzelf")
    await expect(banner).to_contain_text("hoogstens 3 dagen")

    # Anna's phone has the group open: the banner changes there by itself, and stays so.
    await expect(ans.locator("section.retention")).to_contain_text("7 dagen")
    await ans.reload()
    await expect(ans.get_by_role("heading", name=GROUP, exact=True)).to_be_visible()
    await expect(ans.locator("section.retention")).to_contain_text("7 dagen")
    await expect(ans.locator("section.retention")).to_contain_text("hoogstens 3 dagen")
    await check_screen(ans, artifacts, "16-caregiver-group-banner-7-days")


async def mute_and_unmute(worker, bo, artifacts: Path) -> None:
    """Muted for an hour: Bo's phone says so plainly and cannot send; then he can again."""
    await worker.get_by_role("link", name="Wie doen er mee?").click()
    card = worker.locator("li.member").filter(has=worker.get_by_role("heading", name="Bo"))
    await card.get_by_label("Hoe lang Bo stil zetten").select_option(label="1 uur")
    await card.get_by_role("button", name="Zet Bo even stil").click()
    await expect(worker.get_by_text("Bo kan even geen berichten sturen.")).to_be_visible()
    card = worker.locator("li.member").filter(has=worker.get_by_role("heading", name="Bo"))
    await expect(card).to_contain_text("Stil tot")

    await expect(bo.get_by_text("De begeleider heeft je even stil gezet.")).to_be_visible()
    await expect(bo.get_by_role("button", name="Verstuur")).to_be_disabled()
    await expect(messages(bo).filter(has_text="Je kunt even geen berichten sturen")).to_be_visible()
    await check_screen(bo, artifacts, "17-caregiver-group-muted")

    await card.get_by_role("button", name="Laat Bo weer praten").click()
    await expect(worker.get_by_text("Bo kan weer berichten sturen.").first).to_be_visible()
    await expect(bo.get_by_role("button", name="Verstuur")).to_be_enabled()
    await send_text(bo, "Dank je, ik ben er weer")
    await expect_message(bo, "Dank je, ik ben er weer", SENT)


async def bo_leaves(worker, bo, artifacts: Path) -> None:
    """Anyone can leave at any time: asked once, then gone, and the others see it."""
    await bo.get_by_role("button", name="Uit de groep gaan").click()
    await expect(bo.get_by_text("Wil je echt uit de groep gaan?")).to_be_visible()
    await check_screen(bo, artifacts, "18-caregiver-group-leave-confirm")
    await bo.get_by_role("button", name="Ja, uit de groep").click()
    await expect(bo.get_by_role("heading", name="Groepen")).to_be_visible()
    await expect(bo.get_by_text("Je doet nog niet mee met een groep.")).to_be_visible()

    await worker.get_by_role("link", name="Terug naar de groep").click()
    await expect(messages(worker).filter(has_text="Bo is uit de groep gegaan")).to_be_visible()


async def anna_removed(worker, ans, artifacts: Path) -> None:
    await worker.get_by_role("link", name="Wie doen er mee?").click()
    card = worker.locator("li.member").filter(has=worker.get_by_role("heading", name="Anna"))
    await card.get_by_role("button", name="Haal Anna uit de groep").click()
    await card.get_by_role("button", name="Ja, haal uit de groep").click()
    await expect(worker.get_by_text("Anna is uit de groep gehaald.")).to_be_visible()
    await expect(worker.locator("li.member")).to_have_count(1)
    # Anna's phone says so at once (she has the group open), and still after a reload.
    for reload in (False, True):
        if reload:
            await ans.reload()
        await expect(
            ans.get_by_text("De begeleider heeft je uit de groep gehaald.")
        ).to_be_visible()
        await expect(messages(ans).filter(has_text="Hallo allemaal")).to_be_visible()
        for button in ("Verstuur", "Uit de groep gaan", "Stuur een hartje"):
            await expect(ans.get_by_role("button", name=button)).to_have_count(0)
    await check_screen(ans, artifacts, "19-caregiver-group-removed")
    await worker.get_by_role("link", name="Terug naar de groep").click()
    await expect(messages(worker).filter(has_text="Anna is uit de groep gehaald")).to_be_visible()
    await check_screen(worker, artifacts, "20-worker-group-after")


async def worker_closes_the_group(worker, artifacts: Path) -> None:
    """When the group has done its work the facilitator closes it: asked once, then nobody
    can send in it, and what was said stays readable."""
    await worker.get_by_role("link", name="Wie doen er mee?").click()
    await worker.get_by_role("button", name="Groep afsluiten").click()
    await expect(worker.get_by_text("De groep afsluiten voor iedereen?")).to_be_visible()
    await worker.get_by_role("button", name="Ja, sluit de groep af").click()
    await expect(worker.get_by_text("De groep is afgesloten.")).to_be_visible()
    await expect(worker.get_by_role("button", name="Groep afsluiten")).to_have_count(0)
    await check_screen(worker, artifacts, "21-worker-group-closed")
    await worker.get_by_role("link", name="Terug naar de groep").click()
    await expect(worker.get_by_text("Deze groep is gestopt.")).to_be_visible()
    await expect(worker.get_by_role("button", name="Verstuur")).to_have_count(0)
    await expect(messages(worker).filter(has_text="Hallo allemaal")).to_be_visible()
