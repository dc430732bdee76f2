"""Attachments between the browser library and the Python client, through the real relay
(issue 16's round trips): a voice note and a 20 MB file each way, checked byte for byte.

The browser's files are made in the page from a seed and hashed there, and what the page
receives is hashed there too: 20 MB never crosses page.evaluate's JSON, only SHA-256
digests do. No UI; one Chromium and one relay start.
"""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

from test_lib_support import BrowserDevice, next_message, open_page, python_worker

from steuntje_client.attachments import fetch_attachment, send_attachment

BIG = 20 * 1024 * 1024  # plaintext bytes: under the relay's 25 MiB limit, 320 chunks
VOICE = 48 * 1024
WEBM_MAGIC = bytes.fromhex("1a45dfa3")  # how a WebM (Opus) recording starts

# Make `size` bytes from `seed` (xorshift32; a WebM recording's first bytes for audio), send
# them with the library, and return the message id and the plaintext's SHA-256 (hex).
SEND_FROM_SEED = """async ([name, to, media, seed, size]) => {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, size >> 2);
  let x = seed >>> 0;
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  if (media.type.startsWith('audio/')) bytes.set([0x1a, 0x45, 0xdf, 0xa3]);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const { sendAttachment } = await import('/app/lib/attachments.js');
  const sent = await sendAttachment(harness.messenger(name), to, { ...media, bytes });
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { id: sent.id, sha256 };
}"""

# Open (download, check, decrypt) a received message's attachment; its length, type,
# first bytes and SHA-256, computed in the page.
OPEN_AND_HASH = """async ([name, message]) => {
  const { openAttachment } = await import('/app/lib/attachments.js');
  const { bytes, type } = await openAttachment(harness.messenger(name), message);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return {
    size: bytes.length,
    type,
    head: Array.from(bytes.subarray(0, 4)),
    sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}"""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


async def test_voice_note_and_20_mb_file_web_to_python_and_back(relay, browser, tmp_path):
    _admin, worker = await python_worker(relay, int(time.time()))
    context = await browser.new_context()
    page = await open_page(context, relay.url)
    phone = BrowserDevice(page, "caregiver")
    await phone.open(clockOffset=int(relay.clock.now() - time.time()))  # tickets are relay times
    invite = await worker.relay.create_invite("caregiver")
    me = await phone.call("register", invite["link"] + "&fp=" + worker.device_id)
    try:
        # Web → Python: a voice note, then a 20 MB video.
        voice_note = {"type": "audio/webm", "duration_ms": 4200}
        video = {"type": "video/mp4", "name": "uitleg.mp4"}
        for media, seed, size in ((voice_note, 11, VOICE), (video, 12, BIG)):
            sent = await page.evaluate(
                SEND_FROM_SEED, ["caregiver", worker.account_id, media, seed, size]
            )
            received = await next_message(worker)
            assert received.kind == "attachment" and received.message.id == sent["id"]
            fields = received.message.fields
            assert {k: fields[k] for k in media} == media
            assert fields["plain_size"] == size
            path = await fetch_attachment(worker, received, tmp_path / f"from-web-{seed}")
            assert path.stat().st_size == size
            assert sha256_of(path) == sent["sha256"]
            if media["type"] == "audio/webm":
                assert path.read_bytes()[:4] == WEBM_MAGIC

        # Python → web: a voice note (bytes) and a 20 MB file streamed from disk.
        rng = random.Random(16)
        note = WEBM_MAGIC + rng.randbytes(VOICE - 4)
        big = tmp_path / "leaflet.pdf"
        big.write_bytes(b"%PDF-1.4\n" + rng.randbytes(BIG - 9))
        sent_note = await send_attachment(
            worker, me["accountId"], note, "audio/webm", duration_ms=3100
        )
        sent_big = await send_attachment(
            worker, me["accountId"], big, "application/pdf", name="tips voor de nacht.pdf"
        )
        shown = await phone.until(
            "messages", [worker.account_id], "value.filter((m) => !m.outgoing).length >= 2"
        )
        got = {m["id"]: m for m in shown if not m["outgoing"]}
        assert sorted(got) == sorted([sent_note.id, sent_big.id])
        assert got[sent_note.id]["fields"]["duration_ms"] == 3100
        assert got[sent_big.id]["fields"]["name"] == "tips voor de nacht.pdf"
        expected = [
            (sent_note.id, note, "audio/webm"),
            (sent_big.id, big.read_bytes(), "application/pdf"),
        ]
        for message_id, content, media_type in expected:
            assert got[message_id]["kind"] == "attachment"
            opened = await page.evaluate(OPEN_AND_HASH, ["caregiver", got[message_id]])
            assert opened == {
                "size": len(content),
                "type": media_type,
                "head": list(content[:4]),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
    finally:
        await worker.close()
        await context.close()
