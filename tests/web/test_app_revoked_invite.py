"""An invite whose maker lost the right to make it (issue 13 item 2) tells the caregiver in
plain words what to do, and the same link is never tried again."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect
from test_app_support import PHONE, Watch, check_screen, new_phone


async def test_an_invite_from_a_disabled_worker_says_ask_for_a_new_one(
    browser, relay, artifacts: Path
) -> None:
    admin = relay.client()
    await admin.register(await relay.invite("admin"))
    worker = relay.client()
    await worker.register((await admin.create_invite("worker"))["link"])
    link = (await worker.create_invite("caregiver"))["link"]
    await admin.set_account_status(worker.account_id, "disabled")

    watch = Watch(relay.url)
    context, carer = await new_phone(browser, watch, PHONE)
    try:
        await carer.goto(link)
        await carer.get_by_role("button", name="Doe mee").click()
        await expect(carer.get_by_role("alert")).to_have_text(
            "Deze uitnodiging geldt niet meer: wie hem maakte, kan dat nu niet meer."
            " Vraag je ondersteuner om een nieuwe."
        )
        await expect(carer.get_by_role("button", name="Doe mee")).to_be_disabled()
        await check_screen(carer, artifacts, "invite-revoked")
        accounts = await admin.accounts()
        assert sorted(a["role"] for a in accounts) == ["admin", "worker"]  # nobody joined
        watch.check()
    finally:
        await context.close()
