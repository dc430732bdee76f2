"""The privacy officer's screens in the web app: the audit log (a search that always carries
a reason, entries with pseudonyms only, an export whose bundle verifies against the key the
screen shows), legal holds (a refused field, place, lift) and a person's requests (export as
a download, an erasure that waits for a hold). axe-core 0 violations on every screen."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_app_support import (
    LAPTOP,
    Watch,
    check_screen,
    clear_screenshots,
    expect,
    new_phone,
)

from audit import verify_bundle
from audit.events import EVENTS, OBJECT_TYPES, OUTCOMES, REASONS, ROLES

pytestmark = pytest.mark.timeout(240)
WEB = Path(__file__).resolve().parents[2] / "clients" / "web"


def js_list(source: str, name: str) -> list[str]:
    block = re.search(rf"export const {name} = \[(.*?)\];", source, re.DOTALL)
    assert block, name
    return re.findall(r'"([^"]+)"', block.group(1))


def test_desk_lists_are_the_audit_logs_closed_lists() -> None:
    """The event and reason selects offer exactly what the relay accepts, and every code
    the screens turn into a string key (`event_…`, `reason_…`, `outcome_…`) is translated."""
    desk = (WEB / "app" / "parts" / "desk.js").read_text(encoding="utf-8")
    assert sorted(js_list(desk, "EVENTS")) == sorted(EVENTS)
    assert sorted(js_list(desk, "REASONS")) == sorted(REASONS)
    wanted = (
        [f"event_{code.replace('.', '_', 1)}" for code in EVENTS]
        + [f"reason_{code}" for code in REASONS]
        + [f"role_{code}" for code in ROLES]
        + [f"outcome_{code}" for code in OUTCOMES]
        + [f"object_{code}" for code in OBJECT_TYPES]
        + [f"hold_scope_{code}" for code in ("envelopes", "case", "accounts", "audit")]
        + [f"account_status_{code}" for code in ("active", "disabled", "revoked")]
        + [f"span_words_{unit}_{n}" for unit in "mhdy" for n in ("one", "other")]
    )
    for language in ("nl", "en"):
        text = (WEB / "i18n" / f"{language}.js").read_text(encoding="utf-8")
        keys = set(re.findall(r"^\s+([a-z0-9_]+):", text, re.MULTILINE))
        assert [key for key in wanted if key not in keys] == [], language


def read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


async def downloaded(info) -> str:
    """The text of a file the page offered as a download."""
    return await asyncio.to_thread(read_text, await (await info.value).path())


def relay_date(relay, days: int) -> str:
    """A date input's value `days` after the relay's (fake) clock."""
    return (datetime.fromtimestamp(relay.clock.now(), UTC) + timedelta(days=days)).strftime(
        "%Y-%m-%d"
    )


async def officer_joins(page, relay, admin, artifacts: Path) -> None:
    await page.goto((await admin.create_invite("officer"))["link"])
    await page.get_by_role("button", name="Doe mee").click()
    await expect(page.get_by_role("heading", name="Logboek", exact=True)).to_be_visible()
    await check_screen(page, artifacts, "01-officer-audit")


async def search_audit(page, artifacts: Path) -> None:
    """A search needs a reason (a select of the closed list); entries show pseudonyms."""
    reason = page.get_by_label("Reden voor het zoeken")
    assert "routine_review" in await reason.locator("option").evaluate_all(
        "(options) => options.map((o) => o.value)"
    )
    await page.get_by_label("Soort gebeurtenis").select_option("invite.created")
    await reason.select_option("incident_investigation")
    await page.get_by_role("button", name="Zoek", exact=True).click()
    table = page.get_by_role("table", name="Gevonden regels in het logboek")
    await expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    await expect(rows.first).to_contain_text("invite.created")
    await expect(table.get_by_role("columnheader", name="Door wie")).to_be_visible()
    text = await table.inner_text()
    assert "ps_" in text or "Systeem" in text
    assert "acc_" not in text, "entries carry pseudonyms, never account ids"
    await check_screen(page, artifacts, "02-officer-audit-results")

    # More than a page (50): "next" pages on with the relay's `next`, "previous" goes back.
    await expect(rows).to_have_count(50)
    first_page = await rows.first.locator("td").first.inner_text()
    await page.get_by_role("button", name="Volgende pagina").click()
    summary = page.locator(".results-summary")
    await expect(summary).to_be_focused()
    await expect(rows.first.locator("td").first).not_to_have_text(first_page)
    assert 0 < await rows.count() < 50
    await expect(page.get_by_role("button", name="Volgende pagina")).to_have_count(0)
    await page.get_by_role("button", name="Vorige pagina").click()
    await expect(summary).to_be_focused()
    await expect(rows.first.locator("td").first).to_have_text(first_page)
    await expect(rows).to_have_count(50)


async def export_and_verify(page, artifacts: Path) -> None:
    await page.get_by_label("Reden voor het downloaden").select_option("routine_review")
    await page.get_by_role("button", name="Download logboek").click()
    await expect(page.get_by_role("heading", name="Het logboek is klaar")).to_be_focused()
    key = (await page.locator("#verifier-key").inner_text()).strip()
    await expect(page.locator("pre.command")).to_contain_text(
        "steuntje audit verify steuntje-audit-"
    )
    await expect(page.locator("pre.command")).to_contain_text("--kept")
    async with page.expect_download() as bundle_download:
        await page.get_by_role("link", name="Bewijsbestand (JSON Lines)").click()
    assert (await bundle_download.value).suggested_filename.endswith(".jsonl")
    lines = (await downloaded(bundle_download)).splitlines(keepends=True)
    report = verify_bundle(lines, key)
    assert report.ok, report.problem
    events = [json.loads(line) for line in lines]
    assert events[0]["type"] == "header"
    async with page.expect_download() as csv_download:
        await page.get_by_role("link", name="Tabel voor Excel (CSV)").click()
    csv_text = await downloaded(csv_download)
    assert "invite.created" in csv_text
    await check_screen(page, artifacts, "03-officer-export")


async def place_hold(page, relay, case_id: str, artifacts: Path) -> None:
    await page.get_by_role("link", name="Bewaarplichten").click()
    await expect(page.get_by_role("heading", name="Bewaarplichten", level=1)).to_be_visible()
    await expect(page.get_by_text("Er zijn geen bewaarplichten.")).to_be_visible()
    await check_screen(page, artifacts, "04-officer-holds-empty")
    await page.get_by_label("Dossier of groep", exact=True).select_option(case_id)
    await page.get_by_label("Reden", exact=True).fill("Klacht over het zorgplan")
    await page.get_by_label("Kenmerk", exact=True).fill("KL-2026-17")
    # A review date in the past: the relay refuses it and names the field.
    review = page.get_by_label("Opnieuw bekijken op")
    await review.fill(relay_date(relay, -3))
    await page.get_by_role("button", name="Stel bewaarplicht in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Opnieuw bekijken op")
    await expect(review).to_have_attribute("aria-invalid", "true")
    await expect(review).to_be_focused()
    await check_screen(page, artifacts, "05-officer-hold-field-error")
    await review.fill(relay_date(relay, 60))
    await page.get_by_label("Het logboek", exact=True).check()
    await page.get_by_role("button", name="Stel bewaarplicht in").click()
    await expect(page.get_by_text("Bewaarplicht KL-2026-17 geldt nu")).to_be_visible()
    await expect(review).not_to_have_attribute("aria-invalid", "true")
    row = page.get_by_role("table", name="Bewaarplichten van de organisatie").locator("tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("KL-2026-17")
    await expect(row).to_contain_text("Het logboek")
    await expect(row).to_contain_text("Geldt nu")
    await check_screen(page, artifacts, "06-officer-hold-placed")


async def lift_hold(page, artifacts: Path) -> None:
    await page.get_by_role("link", name="Bewaarplichten").click()
    await page.get_by_role("button", name="Opheffen: KL-2026-17").click()
    yes = page.get_by_role("button", name="Ja, opheffen")
    await expect(yes).to_be_focused()
    await check_screen(page, artifacts, "09-officer-hold-confirm")
    await yes.click()
    await expect(page.get_by_text("Bewaarplicht KL-2026-17 is opgeheven.")).to_be_visible()
    row = page.get_by_role("table", name="Bewaarplichten van de organisatie").locator("tbody tr")
    await expect(row).to_contain_text("Opgeheven op")
    await expect(page.get_by_role("button", name=re.compile("Opheffen"))).to_have_count(0)


async def requests(page, caregiver_id: str, worker_id: str, artifacts: Path) -> None:
    await page.get_by_role("link", name="Verzoeken").click()
    await expect(page.get_by_role("heading", name="Verzoeken van personen")).to_be_visible()
    await check_screen(page, artifacts, "07-officer-requests")
    await page.get_by_label("Mantelzorger", exact=True).select_option(caregiver_id)
    await page.get_by_role("button", name="Download gegevens").click()
    await expect(page.get_by_role("heading", name="De gegevens zijn klaar")).to_be_focused()
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Gegevens (JSON)").click()
    exported = json.loads(await downloaded(info))
    assert caregiver_id in json.dumps(exported)
    async with page.expect_download() as info:
        await page.get_by_role("link", name="Leesbare pagina (HTML)").click()
    assert (await info.value).suggested_filename.endswith(".html")

    # Erasure needs the typed word; while the hold covers the case it waits.
    await page.get_by_role("button", name="Wis dit account").click()
    await expect(page.get_by_role("alert")).to_contain_text("Typ eerst het woord")
    await page.get_by_label("Typ 'wissen' om te bevestigen").fill("wissen")
    await page.get_by_role("button", name="Wis dit account").click()
    await expect(
        page.get_by_role("status").filter(has_text="Er geldt een bewaarplicht")
    ).to_be_visible()
    await check_screen(page, artifacts, "08-officer-erase-pending")

    # A staff account is typed in: not erased on request, and the screen says who does it.
    await page.get_by_label("Of een ander account-nummer").fill(worker_id)
    await page.get_by_label("Typ 'wissen' om te bevestigen").fill("wissen")
    await page.get_by_role("button", name="Wis dit account").click()
    await expect(page.get_by_role("alert")).to_contain_text("account van een medewerker")


async def in_english(page, artifacts: Path) -> None:
    """Every string of the officer's screens exists in English too."""
    await page.get_by_role("link", name="Instellingen").click()
    await page.get_by_label("English").check()
    await page.get_by_role("link", name="Legal holds").click()
    await expect(page.get_by_role("heading", name="Legal holds", level=1)).to_be_visible()
    await expect(page.get_by_role("table", name="The organisation's legal holds")).to_be_visible()
    await check_screen(page, artifacts, "10-officer-holds-english")
    await page.get_by_role("link", name="Audit log").click()
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.get_by_role("table", name="Entries found in the audit log")).to_be_visible()
    await check_screen(page, artifacts, "11-officer-audit-english")


async def test_officer_audit_holds_and_requests(browser, relay, artifacts: Path) -> None:
    clear_screenshots(artifacts)
    admin, worker, caregiver = await relay.onboard()
    (case,) = await worker.cases()
    for _ in range(55):  # more invites than one page of the audit screen shows
        await admin.create_invite("caregiver")
    watch = Watch(relay.url)
    context, page = await new_phone(browser, watch, LAPTOP)
    # i18n.js warns about a key missing from the language shown.
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text))
    try:
        await officer_joins(page, relay, admin, artifacts)
        await search_audit(page, artifacts)
        await export_and_verify(page, artifacts)
        await place_hold(page, relay, case["id"], artifacts)
        await requests(page, caregiver.account_id, worker.account_id, artifacts)
        await lift_hold(page, artifacts)
        await in_english(page, artifacts)
        # The query, the export and the hold are in the log, with the officer as actor.
        entries = await relay.ctx.storage.audit_entries(None, None, None, -1, 10_000)
        codes = [entry.event for _, entry in entries if entry is not None]
        reasons = {entry.reason for _, entry in entries if entry and entry.event == "audit.queried"}
        assert "incident_investigation" in reasons, "the reason chosen is the one recorded"
        for code in ("audit.queried", "audit.exported", "legal_hold.placed", "export.made"):
            assert code in codes
        watch.check()
        assert [text for text in warnings if "missing string" in text] == []
    finally:
        await context.close()
