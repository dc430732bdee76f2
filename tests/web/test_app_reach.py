"""The admin's reach figures screen in Chromium: the lists are saved, a period that has not
ended is refused with a reason, a report is made, shown, downloaded as CSV and as a
signed note that verifies offline, and asked again it is the frozen one. A worker tags
their caregiver's case with a wijk in the chat, and the admin's list shows it. axe 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app_admin_desk import worker_with_caregiver
from test_app_support import LAPTOP, Watch, check_screen, clear_screenshots, expect, new_phone

from reach import parse_period, verify_report

pytestmark = pytest.mark.timeout(240)

SEPTEMBER = parse_period("2026-09")  # the relay's fake clock starts on 21 September 2026

# What a worker's device contributes (parts/reach-contribute.js), on made-up message views:
# Ann answered a check-in sent in the period, Bo one sent before it; Ann's signed
# questionnaire came in the period, Bo's own outgoing one does not count.
COUNTING = """async () => {
  const part = await import("/app/app/parts/reach-contribute.js");
  const ann = [
    {kind: "checkin", outgoing: true, sentAt: 150, answers: {ann: 4}},
    {kind: "questionnaire_answer", outgoing: false, receivedAt: 160},
  ];
  const bo = [
    {kind: "checkin", outgoing: true, sentAt: 50, answers: {bo: 2}},
    {kind: "checkin", outgoing: true, sentAt: 120, answers: {}},
    {kind: "questionnaire_answer", outgoing: true, receivedAt: 170},
  ];
  const periods = part.periodsAround(new Date(2026, 0, 15)).map((p) => p.key);
  return [part.countFor([ann, bo], 100, 200), periods];
}"""
COUNTED = [
    {"checkins_answered": 1, "questionnaires_signed": 1},
    ["2026-01", "2026-Q1", "2026", "2025-12", "2025-Q4", "2025"],
]


async def worker_sees_no_wijken(desk, ria, invite: str) -> None:
    """Before the admin made a list of wijken, Ria's chat says why there is no choice."""
    await worker_with_caregiver(desk, ria, invite)
    await desk.get_by_role("link", name="Ria").click()
    await expect(
        desk.get_by_text("Je organisatie heeft nog geen wijken ingesteld.")
    ).to_be_visible()


async def admin_opens_reach(page, invite: str) -> None:
    await page.goto(invite)
    await page.get_by_role("button", name="Doe mee").click()
    await expect(page.get_by_role("heading", name="Accounts", level=1)).to_be_visible()
    await page.get_by_role("link", name="Bereik").click()
    heading = page.get_by_role("heading", name="Bereikcijfers voor de gemeente", level=1)
    await expect(heading).to_be_visible()


async def worker_tags_ria(desk, artifacts: Path) -> None:
    """The worker opens Ria's chat again (the lists changed since) and chooses her wijk."""
    await desk.get_by_role("link", name="Terug naar overzicht").click()
    await desk.get_by_role("link", name="Ria").click()
    wijk = desk.get_by_label("Wijk", exact=True)
    await expect(wijk).to_have_value("")  # "Geen wijk" until chosen
    await wijk.select_option("Noord")
    await expect(
        desk.get_by_role("status").filter(has_text="De wijk is bewaard: Noord.")
    ).to_be_visible()
    await check_screen(desk, artifacts, "reach-worker-wijk")


async def test_admin_makes_downloads_and_verifies_a_reach_report(browser, relay, artifacts: Path):
    clear_screenshots(artifacts)
    admin, worker, caregiver = await relay.onboard()
    await caregiver.send(worker.key.device_id, b"hallo")  # one caregiver took part
    relay.clock.advance(SEPTEMBER.end - relay.ctx.now() + 3600)  # 1 October
    watch = Watch(relay.url)
    context, page = await new_phone(browser, watch, LAPTOP, accept_downloads=True)
    desk_context, desk = await new_phone(browser, watch, LAPTOP)  # a worker's laptop
    try:
        # One laptop after the other: side by side, the worker's app once missed naming the
        # newcomer "Ria" (it stayed "Nieuwe mantelzorger"; see the closing note of stop 22).
        worker_link = (await admin.create_invite("worker"))["link"]
        await worker_sees_no_wijken(desk, relay.client(), worker_link)
        await admin_opens_reach(page, await relay.invite("admin"))
        assert await page.evaluate(COUNTING) == COUNTED

        await page.get_by_label("Wijken").fill("Noord\nZuid\n")
        await page.get_by_label("Teams").fill("Team A")
        await page.get_by_role("button", name="Bewaar de lijsten").click()
        await expect(page.get_by_text("De lijsten zijn bewaard.")).to_be_visible()
        lists = await relay.ctx.storage.reach_lists(relay.ctx.org_id)
        assert lists == {"areas": ["Noord", "Zuid"], "teams": ["Team A"]}
        await page.get_by_label(f"Team van {worker.account_id}").select_option("Team A")
        await expect(
            page.get_by_text(f"Het team van {worker.account_id} is bewaard.")
        ).to_be_visible()
        teams = await relay.ctx.storage.account_teams(relay.ctx.org_id)
        assert teams == {worker.account_id: "Team A"}
        (case,) = await worker.cases()
        await page.get_by_label(f"Wijk van dossier {case['id']}").select_option("Zuid")
        saved = page.get_by_text(f"De wijk van dossier {case['id']} is bewaard.")
        await expect(saved).to_be_visible()
        areas = await relay.ctx.storage.case_areas(relay.ctx.org_id)
        assert areas == {case["id"]: "Zuid"}

        (ria_case,) = [
            c["id"] for c in (await admin.request("cases_all"))["cases"] if c["id"] != case["id"]
        ]
        await worker_tags_ria(desk, artifacts)
        areas = await relay.ctx.storage.case_areas(relay.ctx.org_id)
        assert areas == {case["id"]: "Zuid", ria_case: "Noord"}
        await page.get_by_role("link", name="Accounts").click()  # the admin comes back later
        await page.get_by_role("link", name="Bereik").click()
        await expect(page.get_by_label(f"Wijk van dossier {ria_case}")).to_have_value("Noord")

        period = page.get_by_label("Periode")
        await period.select_option("2026-11")  # ended for the browser, not for the relay
        await page.get_by_role("button", name="Maak de cijfers").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "Deze periode is nog niet voorbij. Kies een eerdere."
        )
        await period.select_option("2026-09")
        await page.get_by_role("button", name="Maak de cijfers").click()
        await expect(
            page.get_by_text("De cijfers over 2026-09 zijn gemaakt en ondertekend.")
        ).to_be_visible()
        figures = page.get_by_role("region", name="Bereik over 2026-09")
        # One caregiver reached and one new: both below 5, so neither is shown.
        await expect(figures.locator("tbody tr").first).to_contain_text("Hele organisatie")
        await expect(figures.locator("tbody tr").first.locator("td").nth(1)).to_have_text("<5")
        await check_screen(page, artifacts, "reach-made")  # every card of the screen drawn

        async with page.expect_download() as csv_download:
            await page.get_by_role("link", name="Download voor Excel (CSV)").click()
        csv = Path(await (await csv_download.value).path()).read_bytes()  # noqa: ASYNC240
        assert csv.startswith("\ufeffPeriode;Indeling;Naam;".encode())
        async with page.expect_download() as note_download:
            await page.get_by_role("link", name="Download de ondertekening").click()
        note = Path(await (await note_download.value).path()).read_text("utf-8")  # noqa: ASYNC240
        key = await relay.ctx.storage.audit_verifier_key()
        assert verify_report(note, key).report["period"] == "2026-09"
        await expect(page.get_by_text(key)).to_be_visible()

        await page.get_by_role("button", name="Maak de cijfers").click()
        await expect(
            page.get_by_text(
                "Dit zijn de cijfers over 2026-09 die eerder zijn gemaakt. Ze veranderen niet meer."
            )
        ).to_be_visible()
        entries = await relay.ctx.storage.audit_entries(None, None, "reach.reported", -1, 10)
        assert len(entries) == 2
        watch.check()
    finally:
        await context.close()
        await desk_context.close()
