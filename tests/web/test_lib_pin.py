"""The optional PIN lock: with a PIN set, keys, sessions, names and message content are
sealed in IndexedDB; after a reload nothing works until the right PIN is given, and then
the conversation simply continues."""

from __future__ import annotations

import time

import pytest
from test_lib_support import BrowserDevice, CallFailed, next_message, open_page, python_worker

NOW = int(time.time())


async def test_pin_lock_seals_the_store_and_opens_with_the_right_pin(relay, browser):
    admin, worker = await python_worker(relay, NOW)
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    caregiver = BrowserDevice(page, "caregiver")
    await caregiver.open()
    link = (await worker.relay.create_invite("caregiver"))["link"]
    me = await caregiver.call("register", link + "&fp=" + worker.device_id)
    await worker.send_text(me["accountId"], "Geheim voor de PIN-test")
    await caregiver.wait_messages(worker.account_id, 1)
    await caregiver.call("setName", worker.account_id, "Annelies Geheimnaam")
    assert await caregiver.call("hasPin") is False

    await caregiver.call("setPin", "4821")
    assert await caregiver.call("hasPin") is True
    raw = {
        store: await page.evaluate("([n, s]) => harness.rawText(n, s)", ["caregiver", store])
        for store in ("messages", "names", "sessions", "outbox")
    }
    assert "Geheim voor de PIN-test" not in raw["messages"]
    assert '"kind"' not in raw["messages"]  # the kind is sealed too
    assert "Annelies" not in raw["names"]
    assert isinstance(await page.evaluate("harness.rawMeta('caregiver', 'keys')"), dict)

    # Still open in this page: messages keep flowing and are stored sealed.
    await worker.send_text(me["accountId"], "Tweede geheim")
    await caregiver.wait_messages(worker.account_id, 2)
    raw_messages = await page.evaluate("harness.rawText('caregiver', 'messages')")
    assert "Tweede geheim" not in raw_messages

    await page.reload()
    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
    reopened = await caregiver.open()
    assert reopened["registered"] is True and reopened["me"] == me
    assert await caregiver.call("locked") is True
    for method, args in (("messages", [worker.account_id]), ("connect", [])):
        with pytest.raises(CallFailed) as refused:
            await caregiver.call(method, *args)
        assert refused.value.code == "locked"
    with pytest.raises(CallFailed) as refused:
        await caregiver.call("unlock", "0000")
    assert refused.value.code == "wrong_pin"

    await caregiver.call("unlock", "4821")
    assert await caregiver.call("locked") is False
    shown = await caregiver.call("messages", worker.account_id)
    assert [m["fields"]["text"] for m in shown] == ["Geheim voor de PIN-test", "Tweede geheim"]
    assert await caregiver.call("name", worker.account_id) == "Annelies Geheimnaam"
    await caregiver.call("connect")
    await caregiver.call("send", worker.account_id, "text", {"text": "Weer open"})
    assert (await next_message(worker)).message.fields == {"text": "Weer open"}

    # Changing the PIN needs the current one; removing it stores everything in clear again.
    with pytest.raises(CallFailed) as refused:
        await caregiver.call("setPin", "9999", "1111")
    assert refused.value.code == "wrong_pin"
    await caregiver.call("setPin", "9999", "4821")
    await caregiver.call("lock")
    assert await caregiver.state() == "offline" and await caregiver.call("locked") is True
    # The disappearing-message timer (the organisation's default, 30 days) still applies.
    await page.evaluate("harness.setClockOffset('caregiver', 31 * 86400)")
    await caregiver.call("sweep")
    assert len((await caregiver.log())["removed"]) == 1
    await caregiver.call("unlock", "9999")
    assert await caregiver.call("messages", worker.account_id) == []
    await caregiver.call("removePin", "9999")
    assert await caregiver.call("hasPin") is False
    await caregiver.call("setName", worker.account_id, "Annelies")
    assert "Annelies" in await page.evaluate("harness.rawText('caregiver', 'names')")
    await worker.close()
    await context.close()


# What lib/pin-attempts.js's PinAttempts does, run in the browser with a stand-in storage and clock.
ATTEMPTS = """async () => {
  const lock = await import('/app/lib/pin-attempts.js');
  const stored = new Map();
  const storage = {
    getItem: (k) => stored.get(k) ?? null,
    setItem: (k, v) => stored.set(k, v),
    removeItem: (k) => stored.delete(k),
  };
  let now = 1_000_000;
  const attempts = new lock.PinAttempts(storage, 'pin', () => now);
  const waits = [];
  for (let i = 0; i < 8; i += 1) waits.push(attempts.failed());
  const again = new lock.PinAttempts(storage, 'pin', () => now);  // a reload
  const afterReload = again.waitMs();
  now += afterReload - 1;
  const almost = again.waitMs();
  now += 1;
  const done = again.waitMs();
  again.succeeded();
  const reset = [again.failed(), stored.has('pin')];
  return {
    waits, afterReload, almost, done, reset,
    table: [0, 4, 5, 6, 7, 12, 20].map(lock.pinWait),
  };
}"""


async def test_wrong_pins_make_the_next_try_wait_longer(relay, browser):
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    result = await page.evaluate(ATTEMPTS)
    # Five tries are free; the fifth wrong one makes the next wait 30 s, then it doubles.
    assert result["waits"] == [0, 0, 0, 0, 30_000, 60_000, 120_000, 240_000]
    assert result["afterReload"] == 240_000  # kept in storage, not in the page
    assert (result["almost"], result["done"]) == (1, 0)
    assert result["reset"] == [0, True]  # the right PIN starts the count again
    assert result["table"] == [0, 0, 30, 60, 120, 3600, 3600]  # at most an hour
    await context.close()


async def test_lock_screen_says_how_long_to_wait_after_five_wrong_pins(relay, browser):
    """The caregiver's lock screen (the worker's is the same screen): five wrong PINs, then
    "Probeer het over 30 seconden opnieuw", the button off; a reload does not reset it; time
    passing (the page's clock, fast-forwarded: no sleeps) gives the button back."""
    from test_app_support import PHONE, Watch, expect, new_phone

    _admin, worker = await python_worker(relay, NOW)
    watch = Watch(relay.url)
    context, page = await new_phone(browser, watch, PHONE)
    await page.clock.install()
    try:
        link = (await worker.relay.create_invite("caregiver"))["link"]
        await page.goto(f"{link}&fp={worker.device_id}")
        await page.get_by_role("button", name="Doe mee").click()
        # "May the phone say that something arrived?" (parts/notifications.js): not now.
        await page.get_by_role("button", name="Nu niet").click()
        await page.get_by_role("link", name="Instellingen").click()
        await page.get_by_label("Nieuwe pincode").fill("2468")
        await page.get_by_label("Herhaal de pincode").fill("2468")
        await page.get_by_role("button", name="Pincode instellen").click()
        await page.get_by_role("button", name="Nu op slot doen").click()
        await expect(page.get_by_role("heading", name="Steuntje is op slot")).to_be_visible()

        pin = page.get_by_label("Pincode", exact=True)
        open_button = page.get_by_role("button", name="Openen")
        for _ in range(4):
            await pin.fill("1111")
            await open_button.click()
            await expect(page.get_by_role("alert")).to_have_text(
                "Deze pincode klopt niet. Probeer het nog eens."
            )
            await expect(open_button).to_be_enabled()
        await pin.fill("1111")
        await open_button.click()
        await expect(page.get_by_role("alert")).to_have_text(
            "Te vaak een verkeerde pincode. Probeer het over 30 seconden opnieuw."
        )
        await expect(open_button).to_be_disabled()

        await page.reload()  # no way around it by reloading
        await expect(page.get_by_role("alert")).to_contain_text("Probeer het over")
        await expect(open_button).to_be_disabled()
        await page.clock.fast_forward("00:31")
        await expect(page.get_by_role("alert")).to_have_text("Je kunt het nu opnieuw proberen.")
        await pin.fill("9999")
        await open_button.click()
        await expect(page.get_by_role("alert")).to_have_text(
            "Te vaak een verkeerde pincode. Probeer het over 1 minuut opnieuw."
        )
        await page.clock.fast_forward("01:01")
        await pin.fill("2468")
        await open_button.click()
        await expect(page.get_by_role("button", name="Pincode weghalen")).to_be_visible()
        # The right PIN started the count again.
        count = await page.evaluate("localStorage.getItem('steuntje.pinAttempts')")
        assert count is None
        watch.check()
    finally:
        await worker.close()
        await context.close()
