"""`steuntje bench --groups --web`: a caregiver's phone sending to a peer-support group.

`--groups` alone measures senders in Python. The person who worries us is a caregiver on
a cheap phone: in the browser every message is encrypted once per recipient device with
the JavaScript port, and the sessions are written to IndexedDB. So here one member of each
group is headless Chromium (Debian's, driven by Playwright) with its CPU slowed 4× like
`--web`; everyone else is the Python client (2 devices per person, as in `--groups`). The
browser person has one device (the web app does not add a second device to a group).

Per group size, after one warm-up message (which starts the sessions):

* ``shown_ms``: the browser's `messenger.groups.send()` call, timed in the page on the
  slowed CPU: the message is stored and on the screen (encryption happens after, in the
  outbox).
* ``sent_ms``: from that call until the message's status is "sent": encrypted once per
  recipient device, sessions stored, the one `send` event acknowledged by the relay (on
  loopback, so this is the phone's own work plus one round trip).
* ``everyone_ms``: from that call until every other device has decrypted the message.

Medians and p95 over MESSAGES messages.

It uses the library's test page (`/app/lib/test/harness.html`, served by every relay) to
drive the library without the screens. Figures go to docs/performance.md.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from typing import Any

from bench import report
from bench.envelope_bench import spawned_relay
from bench.group_bench import WAIT_S, BenchGroup, build_group
from bench.web_bench import CHROMIUM, CHROMIUM_ARGS, SLOW_PHONE, WebBenchError
from steuntje_client.client import RelayClient
from steuntje_client.keys import DeviceKey
from steuntje_client.secure import SecureClient

HARNESS = "/app/lib/test/harness.html"
BROWSER = "phone"  # the browser device's name in the harness page
MESSAGES = 20  # per size: each is one full round through every device


class Arrivals:
    """How many devices decrypted each text; wakes whoever waits for a message id."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.changed = asyncio.Condition()

    async def collect(self, device: SecureClient) -> None:
        while True:
            received = await device.groups.messages.get()
            if received.kind != "text":
                continue
            async with self.changed:
                self.counts[received.message.id] += 1
                self.changed.notify_all()

    async def wait(self, message_id: str, copies: int) -> None:
        async with asyncio.timeout(WAIT_S), self.changed:
            await self.changed.wait_for(lambda: self.counts[message_id] >= copies)


async def _call(page: Any, method: str, *args: Any) -> Any:
    result = await page.evaluate(
        "([m, a]) => harness.group('phone', m, ...a)", [method, list(args)]
    )
    if "error" in result:
        raise WebBenchError(f"groups.{method}: {result['error'].get('code') or 'failed'}")
    return result["value"]


async def _browser_joins(page: Any, bench: BenchGroup) -> None:
    """The browser person registers through the facilitator's invite and joins by link,
    then waits until its verified log has everyone."""
    facilitator = bench.phones[0]
    invite = (await facilitator.relay.create_invite("caregiver"))["link"]
    await page.evaluate("() => harness.open('phone')")
    result = await page.evaluate("l => harness.call('phone', 'register', l)", invite)
    if "error" in result:
        raise WebBenchError(f"register: {result['error'].get('code')}")
    await _call(page, "join", facilitator.groups.invite_link(bench.group), "Telefoon")
    people = bench.people + 1
    await page.evaluate(
        """async ([group, people, wait]) => {
            const deadline = Date.now() + wait;
            for (;;) {
              const r = await harness.group('phone', 'info', group);
              if (r.value && r.value.members.length >= people) return;
              if (Date.now() > deadline) throw new Error('the group did not reach the phone');
              await harness.changed();
            }
        }""",
        [bench.group, people, int(WAIT_S * 1000)],
    )


async def _send(page: Any, group: str, text: str) -> tuple[str, float, float]:
    """(message id, ms until send() returned, ms until the relay acknowledged it), timed
    in the page."""
    result = await page.evaluate(
        """async ([group, text, wait]) => {
            const started = performance.now();
            const r = await harness.group('phone', 'send', group, 'text', {text});
            const shown = performance.now() - started;
            if (r.error) return {r};
            const deadline = Date.now() + wait;
            for (;;) {
              const list = await harness.group('phone', 'messages', group);
              const mine = (list.value || []).find((m) => m.id === r.value.id);
              if (mine && ['sent', 'delivered'].includes(mine.status)) break;
              if (Date.now() > deadline) return {r: {error: {code: 'not sent in time'}}};
              await harness.changed(20);
            }
            return {r, shown, sent: performance.now() - started};
        }""",
        [group, text, int(WAIT_S * 1000)],
    )
    if "error" in result["r"]:
        raise WebBenchError(f"send: {result['r']['error'].get('code') or 'failed'}")
    return result["r"]["value"]["id"], result["shown"], result["sent"]


async def _measure(page: Any, bench: BenchGroup, arrivals: Arrivals) -> dict[str, Any]:
    copies = len(bench.devices)  # every Python device; the phone is the sender
    message_id, _, _ = await _send(page, bench.group, "warm-up")
    await arrivals.wait(message_id, copies)
    shown, sent, everyone = [], [], []
    for number in range(MESSAGES):
        started = time.perf_counter()
        message_id, shown_ms, sent_ms = await _send(page, bench.group, f"bericht {number}")
        await arrivals.wait(message_id, copies)
        everyone.append((time.perf_counter() - started) * 1000)
        shown.append(shown_ms)
        sent.append(sent_ms)
    return {
        "people": bench.people + 1,
        "envelopes_per_message": copies,
        "messages": MESSAGES,
        "shown_ms_p50": round(statistics.median(shown), 1),
        "sent_ms_p50": round(statistics.median(sent), 1),
        "sent_ms_p95": round(report.percentile(sorted(sent), 95), 1),
        "sent_ms_per_envelope": round(statistics.median(sent) / copies, 2),
        "everyone_ms_p50": round(statistics.median(everyone), 1),
        "everyone_ms_p95": round(report.percentile(sorted(everyone), 95), 1),
    }


async def run(sizes: tuple[int, ...]) -> dict[str, Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError as error:
        raise WebBenchError(
            f"playwright is not installed ({error}): make test installs it"
        ) from None
    results = []
    async with spawned_relay("full") as relay, async_playwright() as playwright:
        admin = RelayClient(relay.url, DeviceKey.generate())
        await admin.register(relay.admin_invite)
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for people in sizes:
                bench = await build_group(admin, relay.url, people - 1)
                arrivals = Arrivals()
                collectors = [asyncio.create_task(arrivals.collect(d)) for d in bench.devices]
                context = await browser.new_context(service_workers="block")
                try:
                    page = await context.new_page()
                    await page.goto(relay.url + HARNESS)
                    await page.wait_for_function("document.documentElement.dataset.ready === '1'")
                    cdp = await context.new_cdp_session(page)
                    await cdp.send("Emulation.setCPUThrottlingRate", SLOW_PHONE)
                    await _browser_joins(page, bench)
                    results.append(await _measure(page, bench, arrivals))
                    row = results[-1]
                    report.say(
                        f"group of {people} people: on screen after {row['shown_ms_p50']} ms,"
                        f" sent ({row['envelopes_per_message']} envelopes) after"
                        f" {row['sent_ms_p50']} ms, everyone has it after"
                        f" {row['everyone_ms_p50']} ms"
                    )
                finally:
                    await context.close()
                    for task in collectors:
                        task.cancel()
                    for device in bench.devices:
                        await device.close()
        finally:
            await browser.close()
            await admin.close()
    return {"cpu_slowdown": SLOW_PHONE["rate"], "chromium": CHROMIUM, "sizes": results}


def table(figures: dict[str, Any]) -> str:
    lines = [
        f"a browser member sending to the group (CPU slowed {figures['cpu_slowdown']}×), medians",
        f"{'people':>6} {'env/msg':>7} {'on screen ms':>12} {'sent ms':>8} {'sent p95':>8}"
        f" {'ms/env':>7} {'everyone ms':>11}",
    ]
    for row in figures["sizes"]:
        lines.append(
            f"{row['people']:>6} {row['envelopes_per_message']:>7} {row['shown_ms_p50']:>12.1f}"
            f" {row['sent_ms_p50']:>8.1f} {row['sent_ms_p95']:>8.1f}"
            f" {row['sent_ms_per_envelope']:>7.2f} {row['everyone_ms_p50']:>11.1f}"
        )
    return "\n".join(lines)
