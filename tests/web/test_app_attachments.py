"""Pictures and voice notes in the web app (issue 16), end to end on a real relay.

Chromium runs with its fake microphone. A caregiver records a voice note by holding
"Inspreken" (and throws a second one away with "Stop, niet sturen"), and sends a photo with
GPS tags in its EXIF; the worker's browser receives both: the picture it keeps has no EXIF
and at most 1600 px, it opens full screen and zooms, and the voice note plays at 1× and
1,5×; after a reload both come from the worker's own IndexedDB, not the relay. The worker
sends a PDF and a picture back; the caregiver's copy of the picture is tampered with on the
way and shows one clear error and nothing of it. axe finds 0 violations on every new screen,
and the caregiver's first load neither grows past 150 KB nor carries any of this code.
Then, on the same relay and browser, the library against the Python client: a PDF and a
picture each way, in a case and in a peer-support group, sealed under a PIN on the phone,
in its export, and swept by the case's timer while locked. One test (one Chromium and one
relay start). No sleeps: every wait is on something a person would see.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, _require_chromium
from test_app_support import (
    LAPTOP,
    PHONE,
    Watch,
    check_screen,
    clear_screenshots,
    decline_notifications,
    expect,
    messages,
    new_phone,
)
from test_lib_groups import GroupDevice
from test_lib_support import next_message, open_page, python_worker

from crypto import DeviceKeys
from relay.blobs import TOKEN_TTL_S
from steuntje_client.attachments import fetch_attachment, send_attachment, send_group_attachment
from steuntje_client.errors import RelayRefused
from steuntje_client.secure import SecureClient

Image = pytest.importorskip("PIL.Image")

pytestmark = pytest.mark.timeout(240)

FIRST_LOAD_BUDGET = 150_000  # bytes, compressed, headers included (docs/design.md)
MEDIA_CODE = re.compile(r"/parts/media-|/lib/attachments\.js|/crypto/attachment\.js|/i18n/media/")
GPS_IFD = 0x8825
SENT_NOTE = ".sent-note"

# What this device keeps of its attachments (no PIN here, so IndexedDB holds them plain):
# [{type, conversation, bytes (base64)}].
KEPT_MEDIA = """() => new Promise((resolve, reject) => {
  const opened = indexedDB.open("steuntje");
  opened.onerror = () => reject(opened.error);
  opened.onsuccess = () => {
    const all = opened.result.transaction("media").objectStore("media").getAll();
    all.onsuccess = () => {
      opened.result.close();
      resolve(all.result.map((entry) => {
        let text = "";
        for (let i = 0; i < entry.bytes.length; i += 0x8000) {
          text += String.fromCharCode(...entry.bytes.subarray(i, i + 0x8000));
        }
        return {type: entry.type, conversation: entry.conversationId, bytes: btoa(text)};
      }));
    };
  };
})"""

# Every text the bar's progress line shows, in order (a MutationObserver; nothing missed
# between two awaits of the test).
TRACK_STATUS = """() => {
  window.seenStatus = [];
  new MutationObserver(() => {
    for (const node of document.querySelectorAll('.media-status')) {
      if (window.seenStatus.at(-1) !== node.textContent) window.seenStatus.push(node.textContent);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""

# A pinch on the full-screen picture, as two touch points would send it.
PINCH = """(stage) => {
  const at = (id, x, type) => stage.dispatchEvent(new PointerEvent(type, {
    pointerId: id, clientX: x, clientY: 200, bubbles: true, pointerType: 'touch'}));
  at(1, 100, 'pointerdown'); at(2, 200, 'pointerdown');
  at(2, 300, 'pointermove');
  at(1, 100, 'pointerup'); at(2, 300, 'pointerup');
}"""
# Every path in the page's Cache Storage (the service worker's caches).
CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
  }
  return paths;
}"""


@pytest.fixture
async def media_browser():
    """Chromium with a fake microphone (and camera) that needs no permission prompt."""
    _require_chromium()
    from playwright.async_api import async_playwright

    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            await chromium.close()


def photo_with_gps(folder: Path) -> Path:
    """A 3000 × 2000 JPEG whose EXIF names a camera and a place (Utrecht)."""
    gradient = Image.linear_gradient("L").resize((3000, 2000))
    picture = Image.merge("RGB", (gradient, gradient.rotate(90).resize((3000, 2000)), gradient))
    exif = Image.Exif()
    exif[0x010F] = "Steuntje test camera"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (52.0, 5.0, 27.0), 3: "E", 4: (5.0, 7.0, 19.0)})
    path = folder / "foto-met-plaats.jpg"
    picture.save(path, "JPEG", quality=92, exif=exif.tobytes())
    with Image.open(path) as control:  # the control: the tags are really there
        assert control.getexif().get_ifd(GPS_IFD)[2] == (52.0, 5.0, 27.0)
    return path


async def kept(page) -> list[dict[str, object]]:
    items = await page.evaluate(KEPT_MEDIA)
    return [{**item, "bytes": base64.b64decode(item["bytes"])} for item in items]


async def test_voice_note_and_photo_between_caregiver_and_worker(
    media_browser, relay, artifacts: Path, tmp_path: Path
) -> None:
    clear_screenshots(artifacts)
    photo = photo_with_gps(tmp_path)
    watch = Watch(relay.url)
    worker_context, worker = await new_phone(media_browser, watch, LAPTOP)
    carer_context, carer = await new_phone(media_browser, watch, PHONE, permissions=["microphone"])
    carer_paths: list[str] = []
    carer.on("request", lambda request: carer_paths.append(urlsplit(request.url).path))
    try:
        await worker.goto(await relay.invite("worker"))
        await worker.get_by_role("button", name="Doe mee").click()
        await decline_notifications(worker)
        await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
        await worker.get_by_label("Naam van de mantelzorger").fill("Ans")
        await worker.get_by_role("button", name="Maak uitnodiging").click()
        link = await worker.locator("#invite-link").get_attribute("href")
        await carer.goto(link)
        await carer.get_by_role("button", name="Doe mee").click()
        await decline_notifications(carer)
        await expect(carer.get_by_role("button", name="Inspreken")).to_be_visible()
        # Opening the chat fetched none of the media code: it waits for the first tap.
        assert [path for path in carer_paths if MEDIA_CODE.search(path)] == []

        await caregiver_records(carer, artifacts)
        await caregiver_sends_photo(carer, photo)
        await worker_receives(worker, artifacts)
        await worker_sends_back(worker, carer, photo, artifacts)
        await worker_sends_to_a_selection(worker, carer, relay, tmp_path)
        # The two connections this test cut on purpose, as the browser logs them; nothing else.
        resets = [error for error in watch.errors if "net::ERR_CONNECTION_RESET" in error]
        assert len(resets) == 2, watch.errors
        watch.errors = [error for error in watch.errors if error not in resets]
        watch.check()
    finally:
        await worker_context.close()
        await carer_context.close()
    await first_load_stays_small(media_browser, relay)
    # In the same browser and relay (a second test would start both again).
    await python_and_web(relay, media_browser, tmp_path)


async def caregiver_records(carer, artifacts: Path) -> None:
    """Hold to record, let go to send; tap to start, then "Stop, niet sturen"."""
    await carer.evaluate(TRACK_STATUS)
    record = carer.get_by_role("button", name="Inspreken")
    box = await record.bounding_box()
    await carer.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await carer.mouse.down()
    time = carer.locator(".record-time")
    # The seconds count on screen (and in a live region) while the finger is down.
    await expect(time).to_have_text(re.compile(r"^Opname: 0:0[1-9]$"))
    await expect(time).to_have_attribute("role", "status")
    await expect(carer.get_by_text("Laat los om te sturen.", exact=False)).to_be_visible()
    await carer.mouse.up()
    await expect(carer.locator(SENT_NOTE)).to_have_text("Spraakbericht verstuurd ✓")
    await expect(messages(carer).filter(has=carer.locator(".voice-note"))).to_have_count(1)

    # For someone who cannot hold: a tap starts it, and it can be thrown away.
    await carer.get_by_role("button", name="Inspreken").click()
    stop = carer.get_by_role("button", name="Stop, niet sturen")
    await expect(carer.get_by_role("button", name="Stop en stuur")).to_be_visible()
    await expect(time).to_have_text(re.compile(r"^Opname: 0:0\d$"))
    await check_screen(carer, artifacts, "01-caregiver-recording")
    await stop.click()
    await expect(carer.locator(".media-status")).to_have_text("Niet verstuurd.")
    await expect(carer.get_by_role("button", name="Inspreken")).to_be_visible()
    await expect(stop).to_be_hidden()


async def caregiver_sends_photo(carer, photo: Path) -> None:
    async with carer.expect_file_chooser() as chosen:
        await carer.get_by_role("button", name="Foto", exact=True).click()
    await (await chosen.value).set_files(str(photo))
    await expect(carer.locator(SENT_NOTE)).to_have_text("Foto verstuurd ✓")
    seen = await carer.evaluate("window.seenStatus")
    # Progress on screen, from the start to the end of the upload.
    assert "Versturen… 0%" in seen and "Versturen… 100%" in seen, seen
    own = messages(carer).filter(has=carer.locator("img.media-image"))
    await expect(own.locator("img.media-image")).to_have_attribute("src", re.compile("^blob:"))
    # One voice note was sent, the thrown-away one never was.
    await expect(messages(carer).filter(has=carer.locator(".voice-note"))).to_have_count(1)


async def worker_receives(worker, artifacts: Path) -> None:
    await worker.get_by_role("link", name="Stuur Ans een bericht").click()
    picture = worker.locator("img.media-image:not(.blurred)")
    await expect(picture).to_have_attribute("src", re.compile("^blob:"))
    await expect(picture).to_have_attribute("alt", "Foto van Ans")
    play = worker.get_by_role("button", name="Afspelen", exact=True)
    await expect(play).to_be_visible()

    media = await kept(worker)
    assert sorted(item["type"] for item in media) == ["audio/webm", "image/jpeg"]
    (jpeg,) = [item["bytes"] for item in media if item["type"] == "image/jpeg"]
    (voice,) = [item["bytes"] for item in media if item["type"] == "audio/webm"]
    with Image.open(io.BytesIO(jpeg)) as received:
        assert received.format == "JPEG"
        assert max(received.size) == 1600 and received.size == (1600, 1067)
        assert len(received.getexif()) == 0 and "exif" not in received.info
    assert len(jpeg) <= 300_000
    assert voice[:4] == b"\x1a\x45\xdf\xa3" and len(voice) > 1000  # WebM (Opus) from the mic

    # Full screen: zoom with the buttons, Escape closes, focus goes back to the picture.
    await worker.locator(".media-thumb").click()
    viewer = worker.get_by_role("dialog", name="Foto van Ans")
    await expect(viewer).to_be_visible()
    await expect(viewer.get_by_role("button", name="Sluiten")).to_be_focused()
    await viewer.get_by_role("button", name="Groter").click()
    await expect(viewer.locator("img")).to_have_attribute("style", re.compile(r"scale\(1\.5\)"))
    # Two fingers moving apart to twice their distance: twice the size (at most 4×).
    await viewer.locator(".viewer-stage").evaluate(PINCH)
    await expect(viewer.locator("img")).to_have_attribute("style", re.compile(r"scale\(3\)"))
    await check_screen(worker, artifacts, "02-worker-viewer")
    await worker.keyboard.press("Escape")
    await expect(viewer).to_have_count(0)
    await expect(worker.locator(".media-thumb")).to_be_focused()

    # The voice note plays; the speed goes to 1,5× and says so.
    await play.click()
    await worker.wait_for_function(
        "() => document.querySelector('.voice-note progress').value > 0", timeout=15_000
    )
    speed = worker.locator(".voice-speed")
    await speed.click()
    await expect(speed).to_have_attribute("aria-pressed", "true")
    await expect(speed).to_contain_text("1,5×")
    await check_screen(worker, artifacts, "03-worker-chat-with-media")

    # The service worker keeps the app's files only, never a picture or a blob.
    cached = await worker.evaluate(CACHED_PATHS)
    assert cached and all(path == "/" or path.startswith("/app/") for path in cached), cached

    # Kept on this device: after a reload nothing is fetched from the relay again (which
    # deleted both blobs once this, their only reader, said blob_done).
    fetched: list[str] = []
    worker.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    await worker.reload()
    await expect(worker.locator("img.media-image:not(.blurred)")).to_have_attribute(
        "src", re.compile("^blob:")
    )
    await expect(worker.get_by_role("button", name="Afspelen", exact=True)).to_be_visible()
    assert [path for path in fetched if path.startswith("/blobs/")] == []


async def worker_sends_back(worker, carer, photo: Path, artifacts: Path) -> None:
    """A PDF arrives whole although the connection drops once each way (upload and
    download resume by themselves); a picture whose blob is altered on the way shows one
    error and nothing of it."""
    leaflet = photo.parent / "tips.pdf"
    leaflet.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    worker_blobs = await lose_the_first(worker, "PATCH")
    carer_blobs = await lose_the_first(carer, "GET")
    async with worker.expect_file_chooser() as chosen:
        await worker.get_by_role("button", name="Bestand", exact=True).click()
    await (await chosen.value).set_files(str(leaflet))
    await expect(worker.locator(SENT_NOTE)).to_have_text("Bestand verstuurd ✓")
    # Lost, then asked how far the relay got (HEAD), then sent again.
    assert worker_blobs[:3] == ["PATCH", "HEAD", "PATCH"], worker_blobs
    await carer.get_by_role("button", name=re.compile("^tips.pdf ophalen")).click()
    await expect(carer.get_by_role("link", name="tips.pdf openen")).to_have_attribute(
        "href", re.compile("^blob:")
    )
    assert carer_blobs == ["GET", "GET"], carer_blobs
    (pdf,) = [item for item in await kept(carer) if item["type"] == "application/pdf"]
    assert pdf["bytes"] == leaflet.read_bytes()
    await worker.unroute("**/blobs/**")
    await carer.unroute("**/blobs/**")

    async def flip_a_byte(route) -> None:
        if route.request.method != "GET":
            await route.continue_()
            return
        response = await route.fetch()
        body = bytearray(await response.body())
        body[len(body) // 2] ^= 0x01
        await route.fulfill(response=response, body=bytes(body))

    await carer.route("**/blobs/**", flip_a_byte)
    before = len(await kept(carer))
    async with worker.expect_file_chooser() as chosen:
        await worker.get_by_role("button", name="Foto", exact=True).click()
    await (await chosen.value).set_files(str(photo))
    await expect(worker.locator(SENT_NOTE)).to_have_text("Foto verstuurd ✓")
    damaged = messages(carer).filter(has=carer.get_by_role("alert"))
    await expect(damaged.get_by_role("alert")).to_have_text(
        "Dit bestand is beschadigd en wordt niet getoond. Vraag of het nog een keer gestuurd wordt."
    )
    # Nothing of it: neither the picture nor its blurred preview (the heart is the app's).
    await expect(damaged.locator(".media img, img[src^='blob:'], img[src^='data:']")).to_have_count(
        0
    )
    await expect(carer.locator("[role=alert]")).to_have_count(1)
    assert len(await kept(carer)) == before, "a damaged attachment must not be kept"
    await check_screen(carer, artifacts, "04-caregiver-damaged-picture")


async def worker_sends_to_a_selection(worker, carer, relay, tmp_path: Path) -> None:
    """📎 from the caseload to two chosen caregivers (this browser and a Python client): one
    upload, and each gets a message naming that one blob, which the relay forgets once both
    fetched it."""
    await carer.unroute("**/blobs/**")
    await worker.get_by_role("link", name="Mijn mantelzorgers").click()
    await worker.get_by_role("link", name="Nieuwe mantelzorger uitnodigen").first.click()
    await worker.get_by_label("Naam van de mantelzorger").fill("Bram")
    await worker.get_by_role("button", name="Maak uitnodiging").click()
    link = await worker.locator("#invite-link").get_attribute("href")
    bram = SecureClient(relay.url, DeviceKeys.generate(int(relay.clock.now())))
    try:
        await bram.register(link)
        await worker.get_by_role("link", name="Mijn mantelzorgers").click()
        for name in ("Ans", "Bram"):
            await worker.get_by_label(f"Kies {name} voor een vraag").check()
        uploads: list[str] = []
        worker.on("request", lambda r: "/blobs/" in r.url and uploads.append(r.method))
        leaflet = tmp_path / "folder.pdf"
        leaflet.write_bytes(b"%PDF-1.4\n% Tips voor een rustige nacht\n%%EOF\n")
        async with worker.expect_file_chooser() as chosen:
            await worker.get_by_role("button", name="Bestand aan 2 gekozen").click()
        await (await chosen.value).set_files(str(leaflet))
        await expect(worker.locator(".media-status")).to_have_text("Bestand verstuurd ✓")
        assert uploads == ["PATCH"], uploads  # one upload for both
        while (received := await next_message(bram)).kind != "attachment":
            pass  # the worker's name for Bram may come first
        got = await fetch_attachment(bram, received, tmp_path / "bram.pdf")
        assert got.read_bytes() == leaflet.read_bytes()
        await carer.get_by_role("button", name=re.compile("^folder.pdf ophalen")).click()
        await expect(carer.get_by_role("link", name="folder.pdf openen")).to_have_attribute(
            "href", re.compile("^blob:")
        )
        await relay_forgets(bram, received.message.fields["blob"])  # Ans's phone had it too
    finally:
        await bram.close()


async def lose_the_first(page, method: str) -> list[str]:
    """Drop the page's first `method` request to /blobs/ as a lost connection would; the
    list returned fills with the methods of its /blobs/ requests, in order."""
    seen: list[str] = []

    async def route(route) -> None:
        seen.append(route.request.method)
        if route.request.method == method and seen.count(method) == 1:
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route("**/blobs/**", route)
    return seen


async def first_load_stays_small(browser, relay) -> None:
    """A first visit (empty cache, no service worker) up to "Doe mee": within budget,
    none of the media code, and none of it in the page's modulepreload list."""
    context = await browser.new_context(service_workers="block")
    try:
        page = await context.new_page()
        done: list[object] = []
        page.on("requestfinished", lambda request: done.append(request))
        response = await page.goto(await relay.invite("caregiver"))
        await expect(page.get_by_role("button", name="Doe mee")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        link = response.headers.get("link", "")
        assert "modulepreload" in link and not MEDIA_CODE.search(link), link
        paths = [urlsplit(request.url).path for request in done]
        assert [path for path in paths if MEDIA_CODE.search(path)] == []
        total = 0
        for request in done:
            counted = await request.sizes()
            total += counted["responseBodySize"] + counted["responseHeadersSize"]
        assert total <= FIRST_LOAD_BUDGET, f"first load {total} bytes"
    finally:
        await context.close()


# The library's own calls, in the harness page (lib/test/harness.js).
OPEN_ATTACHMENT = """async ([name, message]) => {
  const { openAttachment } = await import('/app/lib/attachments.js');
  const { bytes } = await openAttachment(harness.messenger(name), message);
  return Array.from(bytes);
}"""
SEND_ATTACHMENT = """async ([name, to, bytes]) => {
  const { sendAttachment } = await import('/app/lib/attachments.js');
  const media = { bytes: new Uint8Array(bytes), type: 'image/jpeg', width: 40, height: 30 };
  return (await sendAttachment(harness.messenger(name), to, media)).id;
}"""
LEAFLET_PICTURE = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")  # a bare JPEG
LEAFLET = b"%PDF-1.4\n% Truus van Dijk slaapt slecht sinds dinsdag\n%%EOF\n"


async def python_and_web(relay, browser, tmp_path: Path) -> None:
    """Python → web and web → Python with the same format; what the phone keeps is sealed
    under its PIN, listed in its export, forgotten by the relay after blob_done, and
    deleted by the case's disappearing timer even while the phone is locked."""
    _admin, worker = await python_worker(relay, int(time.time()))
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    phone = GroupDevice(page, "caregiver")
    offset = int(relay.clock.now() - time.time())  # tickets are relay times
    await phone.open(clockOffset=offset)
    invite = await worker.relay.create_invite("caregiver")
    me = await phone.call("register", invite["link"] + "&fp=" + worker.device_id)
    await phone.call("setPin", "4821")
    try:
        sent = await send_attachment(
            worker, me["accountId"], LEAFLET, "application/pdf", name="tips.pdf"
        )
        blob = sent.fields["blob"]
        (message,) = await phone.wait_messages(worker.account_id, 1)
        ranges = await token_expires_midway(page, relay)
        opened = await page.evaluate(OPEN_ATTACHMENT, ["caregiver", message])
        assert bytes(opened) == LEAFLET
        half = sent.fields["size"] // 2  # broken off, refused, then the rest with a new token
        assert ranges == ["", f"bytes={half}-", f"bytes={half}-"], ranges
        await page.unroute("**/blobs/**")
        raw = await page.evaluate("harness.rawText('caregiver', 'media')")
        assert blob in raw and "Truus" not in raw, "kept, and sealed under the PIN"
        local = (await phone.call("exportMyData"))["local"]
        assert [(a["blob"], a["type"], a["size"]) for a in local["attachments"]] == [
            (blob, "application/pdf", len(LEAFLET))
        ]
        await relay_forgets(worker, blob)

        # Web → Python: the same bytes come out on the other side.
        picture = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 120, 40)).save(picture, "JPEG")
        await page.evaluate(
            SEND_ATTACHMENT, ["caregiver", worker.account_id, list(picture.getvalue())]
        )
        received = await next_message(worker)
        assert received.kind == "attachment" and received.message.fields["width"] == 40
        path = await fetch_attachment(worker, received, tmp_path / "picture.jpg")
        assert path.read_bytes() == picture.getvalue()

        # A peer-support group: the same message both ways, to every member.
        group = await worker.groups.create("Mantelzorgers Noord", display_name="Petra")
        await phone.group("join", worker.groups.invite_link(group), "Anna")
        shared = await send_group_attachment(
            worker, group, picture.getvalue(), "image/jpeg", width=40, height=30
        )
        got = await phone.wait_group_messages(group, "value.some((m) => m.kind === 'attachment')")
        (in_group,) = [m for m in got if m["kind"] == "attachment"]
        assert in_group["id"] == shared.id
        assert bytes(await page.evaluate(OPEN_ATTACHMENT, ["caregiver", in_group])) == (
            picture.getvalue()
        )
        await page.evaluate(SEND_ATTACHMENT, ["caregiver", group, list(LEAFLET_PICTURE)])
        while (member := await asyncio.wait_for(worker.groups.messages.get(), 15)).kind != (
            "attachment"
        ):
            pass  # Anna's profile comes first
        path = await fetch_attachment(worker, member, tmp_path / "from-the-group.jpg")
        assert path.read_bytes() == LEAFLET_PICTURE

        # The case's timer: both attachments go, with the phone locked.
        case_id = (await worker.relay.cases())[0]["id"]
        await worker.relay.request(
            "policy_set", {"case": case_id, "document": {"disappearing_timer": "1h"}}
        )
        await phone.until("cases", [], "value[0] && value[0].disappearingTimer === 3600")
        assert (await page.evaluate("harness.rawText('caregiver', 'media')")).count('"box"') == 4
        await phone.call("lock")
        await page.evaluate(f"harness.setClockOffset('caregiver', {offset + 3601})")
        await phone.call("sweep")
        kept_now = await page.evaluate("harness.rawText('caregiver', 'media')")
        # The case's two are gone; the group's two follow the group's own policy (none here).
        assert worker.account_id not in kept_now and kept_now.count(group) == 2
    finally:
        await worker.close()
        await context.close()


async def token_expires_midway(page, relay) -> list[str]:
    """The page's first download breaks off halfway, and its token expires before the
    next try reaches the relay (401 bad_token): the phone asks for a new token and fetches
    the rest with Range. Returns the Range header of each GET, in order."""
    ranges: list[str] = []

    async def route(route) -> None:
        ranges.append(route.request.headers.get("range", ""))
        if len(ranges) == 1:
            response = await route.fetch()
            body = await response.body()
            await route.fulfill(response=response, body=body[: len(body) // 2])
            return
        # The relay's clock passes the token's lifetime for the second try only.
        relay.clock.advance(TOKEN_TTL_S + 1 if len(ranges) == 2 else -(TOKEN_TTL_S + 1))
        await route.continue_()

    await page.route("**/blobs/**", route)
    return ranges


async def relay_forgets(worker, blob: str) -> None:
    """Until the relay says the blob is gone (its only reader said blob_done)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        try:
            await worker.relay.request("blob_fetch", {"blob": blob})
        except RelayRefused as refused:
            assert refused.code == "unknown_blob"
            return
        assert loop.time() < deadline, "the relay still holds the blob after blob_done"
        await asyncio.sleep(0.05)  # polling step of a condition wait
