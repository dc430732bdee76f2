"""Signed questionnaires in Chromium (issue 18): the worker compares the caregiver's safety
number (the onboarding statement) and sends a questionnaire in two taps; the caregiver (phone
view) fills it in one question per screen, goes back to change an answer, agrees to share and
signs with one tap; the worker sees the signature checked and exports the evidence; the
organisation vouches for the worker's device and `steuntje questionnaire verify` accepts the
bundle, while a changed answer, a changed questionnaire, another device's signature and a
replay to another questionnaire each fail with their reason, in the CLI and on the app's
offline verify page. axe finds nothing on the new screens."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from playwright.async_api import expect
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    decline_notifications,
    expect_message,
    messages,
    new_phone,
    send_text,
)

from questionnaires.canonical import encode
from questionnaires.statements import Signed, device_id_of, open_answers, sign_answers
from relay import questionnaire_cli
from relay.cli import main as relay_main

TITLE = "Hoe gaat het met u als mantelzorger?"
CHOICES = ["Soms", "Vaak", "Nooit", "Altijd", "Soms", "Te doen"]


async def join(page, link: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Doe mee").click()
    await decline_notifications(page)


async def test_a_signed_questionnaire_from_sending_to_verified_evidence(
    browser, relay, artifacts: Path, tmp_path: Path, capsys
) -> None:
    clear_screenshots(artifacts)
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(browser, watch, LAPTOP)
    carer_context, carer = await new_phone(browser, watch, PHONE)
    try:
        await join(worker, await relay.invite("worker"))
        await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ans")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        await join(carer, await worker.locator("#invite-link").get_attribute("href"))
        await worker.get_by_role("link", name="Stuur Ans een bericht").click()
        await send_text(worker, "Hoi Ans")
        await expect_message(worker, "Hoi Ans", "afgeleverd")
        await compare_safety_number(worker)

        # Two taps: "Vragenlijst", then the questionnaire.
        await worker.get_by_role("button", name="Vragenlijst").click()
        await check_screen(worker, artifacts, "01-worker-questionnaire-panel")  # 320 px too
        await worker.get_by_role("button", name=f"Stuur “{TITLE}”").click()
        await expect(
            messages(worker).filter(has_text=f"Vragenlijst verstuurd: {TITLE}")
        ).to_be_visible()

        await selection_screen(worker, artifacts)
        await fill_in_and_sign(carer, artifacts)
        bundle_path = await export_evidence(worker, artifacts, tmp_path)
        await verify_evidence(relay, worker, bundle_path, tmp_path, artifacts, capsys)
        watch.check()
    finally:
        await worker_context.close()
        await carer_context.close()


async def compare_safety_number(worker) -> None:
    """At the kitchen table: the numbers are the same, so the worker's phone signs that the
    caregiver's phone is Ans's (the onboarding statement)."""
    await worker.get_by_role("link", name="Veiligheidsnummer").click()
    await worker.get_by_role("button", name="De nummers zijn gelijk").click()
    await expect(worker.get_by_text("Gecontroleerd: dit nummer klopt.")).to_be_visible()
    await worker.get_by_role("link", name="Terug").click()


async def selection_screen(worker, artifacts: Path) -> None:
    """From the caseload a selection gets one too: tick, "Vragenlijst aan 1 gekozen"."""
    chat = await worker.evaluate("location.hash")
    await worker.get_by_role("link", name="Mijn mantelzorgers").click()
    await worker.get_by_label("Kies Ans voor een vraag").check()
    await worker.get_by_role("button", name="Vragenlijst aan 1 gekozen").click()
    await expect(worker.get_by_role("checkbox", name="Ans")).to_be_checked()
    await expect(worker.get_by_role("button", name=f"Stuur “{TITLE}”")).to_be_visible()
    await check_screen(worker, artifacts, "01b-worker-questionnaire-selection")
    await worker.evaluate("(chat) => { location.hash = chat; }", chat)  # back to Ans


async def fill_in_and_sign(carer, artifacts: Path) -> None:
    card = messages(carer).filter(has_text=f"Vragenlijst: {TITLE}")
    await card.get_by_role("link", name="Vragenlijst invullen").click()
    await expect(carer.get_by_role("heading", name=TITLE)).to_be_visible()
    await carer.get_by_role("button", name="Beginnen").click()
    for number, answer in enumerate(CHOICES, 1):
        await expect(carer.get_by_text(f"Vraag {number} van 7")).to_be_visible()
        if number == 1:
            await check_screen(carer, artifacts, "03-caregiver-question")
        await carer.get_by_role("button", name=answer, exact=True).click()
    await carer.get_by_label("Je antwoord (mag leeg blijven)").fill("Een middag per week vrij.")
    await carer.get_by_role("button", name="Volgende").click()
    await expect(carer.get_by_role("heading", name="Je antwoorden")).to_be_visible()
    await check_screen(carer, artifacts, "04-caregiver-summary")
    # Back to question 2 from the summary, another answer, and straight back to the summary.
    await carer.get_by_role("button", name="Wijzig het antwoord op: Sliep u goed?").click()
    await expect(carer.get_by_role("button", name="Vaak")).to_have_attribute("aria-pressed", "true")
    await carer.get_by_role("button", name="Altijd").click()
    summary = carer.locator("dl.questionnaire-summary")
    await expect(summary).to_contain_text("Sliep u goed?Altijd")
    await carer.get_by_label("Mijn ondersteuner mag dit delen met de gemeente").check()
    await carer.get_by_role("button", name="Ik heb dit zelf ingevuld en onderteken het").click()
    await expect(carer.get_by_role("heading", name="Ondertekend en verstuurd")).to_be_visible()
    await carer.get_by_role("link", name="Terug naar het gesprek").click()
    await expect(
        messages(carer).filter(has_text="Je hebt deze vragenlijst ingevuld en ondertekend ✓")
    ).to_be_visible()


async def export_evidence(worker, artifacts: Path, tmp_path: Path) -> Path:
    card = messages(worker).filter(has_text="Ans heeft de vragenlijst ingevuld en ondertekend")
    await card.get_by_role("link", name="Bekijken").click()
    await expect(worker.get_by_text("De handtekening klopt")).to_be_visible()
    await expect(worker.get_by_text("Ans geeft toestemming")).to_be_visible()
    await check_screen(worker, artifacts, "05-worker-signed-answers")
    async with worker.expect_download() as page_download:
        await worker.get_by_role("link", name="Download als pagina (om te printen)").click()
    page_path = tmp_path / "evidence.html"
    await (await page_download.value).save_as(page_path)
    page = page_path.read_text(encoding="utf-8")
    assert "Deelnemer 1" in page and "Sliep u goed?" in page and "Ans" not in page
    async with worker.expect_download() as json_download:
        await worker.get_by_role("link", name="Download bewijsbestand (JSON)").click()
    bundle_path = tmp_path / "evidence.json"
    await (await json_download.value).save_as(bundle_path)
    # The same for a period: every signed questionnaire of this month that may be shared.
    await worker.get_by_role("link", name="Alle ondertekende vragenlijsten van een periode").click()
    await worker.get_by_label("Van", exact=True).fill(
        "2020-01-01"
    )  # not this month only: no midnight race
    await worker.get_by_role("button", name="Maak bewijs").click()
    await expect(worker.get_by_text("1 ondertekende vragenlijst.")).to_be_visible()
    await expect(worker.get_by_role("link", name="Download bewijsbestand (JSON)")).to_be_visible()
    await check_screen(worker, artifacts, "06-worker-period-evidence")
    return bundle_path


async def verify_evidence(relay, worker, path: Path, tmp_path: Path, artifacts, capsys) -> None:
    org_key = await relay.ctx.storage.audit_verifier_key()
    bundle = json.loads(path.read_text(encoding="utf-8"))  # noqa: ASYNC240 (a small file)
    statement = open_answers(Signed(**bundle["entries"][0]["answers"]))
    assert [answer.get("choice") for answer in statement["answers"][:6]] == [2, 4, 1, 4, 2, 2]
    assert statement["share"] == "funder" and bundle["entries"][0]["participant"] == "Deelnemer 1"

    vouched = tmp_path / "vouched.json"
    assert await questionnaire_cli.vouch_file(relay.ctx.config, path, vouched) == 0
    capsys.readouterr()
    command = ["questionnaire", "verify", "--org-key", org_key]
    assert relay_main([*command, str(vouched)]) == 0
    assert "OK      Deelnemer 1" in capsys.readouterr().out

    good = json.loads(vouched.read_text(encoding="utf-8"))
    files = [("vouched", vouched)]
    for name, mutate, reason in MUTATIONS:
        changed = copy.deepcopy(good)
        mutate(changed)
        target = tmp_path / f"{name}.json"
        target.write_text(json.dumps(changed), encoding="utf-8")
        files.append((name, target))
        assert relay_main([*command, str(target)]) == 1
        assert f"FAILED  Deelnemer 1: {reason}:" in capsys.readouterr().out, name

    # The web app's own verify page, offline and without an account, says the same.
    officer = await worker.context.browser.new_context(viewport=LAPTOP, locale="nl-NL")
    page = await officer.new_page()
    await page.goto(f"{relay.url}/#/verify-questionnaires")
    await expect(page.get_by_role("heading", name="Bewijs controleren")).to_be_visible()
    await page.get_by_label("Sleutel van de organisatie").fill(org_key)
    await officer.set_offline(True)
    for name, target in files[:2]:
        await page.get_by_label("Bewijsbestand").set_input_files(str(target))
        await page.get_by_role("button", name="Controleer").click()
        expected = "✓ Deelnemer 1: Klopt" if name == "vouched" else "✗ Deelnemer 1: Klopt niet"
        await expect(page.locator("ul.verdicts li")).to_contain_text(expected)
    await expect(page.locator("ul.verdicts li")).to_contain_text("er is na het ondertekenen")
    await check_screen(page, artifacts, "07-verify-page")
    await officer.close()


def changed_answer(bundle: dict) -> None:
    part = bundle["entries"][0]["answers"]
    statement = json.loads(part["statement"])
    statement["answers"][0]["choice"] = 4
    part["statement"] = encode(statement).decode()


def changed_questionnaire(bundle: dict) -> None:
    bundle["questionnaires"][0]["items"][1]["text"]["nl"] = "Sliep u meestal goed?"


def another_device(bundle: dict) -> None:
    seed = bytes(range(32))
    statement = open_answers(Signed(**bundle["entries"][0]["answers"]))
    statement["device"] = device_id_of(seed)
    bundle["entries"][0]["answers"] = sign_answers(seed, statement).to_json()


def replayed(bundle: dict) -> None:
    bundle["entries"][0]["message"] = "YW5vdGhlclF1ZXN0aW9ubmFpcmU"


MUTATIONS = [
    ("changed-answer", changed_answer, "answers_changed"),
    ("changed-questionnaire", changed_questionnaire, "questionnaire_changed"),
    ("another-device", another_device, "other_device"),
    ("replay", replayed, "replay"),
]
