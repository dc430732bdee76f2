"""Attachments end to end through the real relay with the Python client (issue 16): a
picture and a voice note between a worker and a caregiver with two devices, a 20 MB file,
and the relay forgetting each blob once every device that received it said so."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc

import pytest
from test_secure_client import NOW, close_all, next_message, secure_pair

from crypto import DeviceKeys
from crypto.attachment import ciphertext_size
from crypto.errors import AttachmentError
from helpers import WAIT
from relay.config import Limits
from steuntje_client.attachments import fetch_attachment, send_attachment
from steuntje_client.errors import RelayRefused
from steuntje_client.secure import SecureClient

PICTURE = b"\xff\xd8\xff\xe0" + os.urandom(180_000)  # a JPEG's size, random content
VOICE = os.urandom(70_000)


def test_the_relay_limit_is_a_25_mib_file_in_the_attachment_format():
    assert Limits().max_blob_bytes == ciphertext_size(25 * 1024 * 1024)


async def test_a_picture_and_a_voice_note_reach_every_device_and_are_then_deleted(relay, tmp_path):
    admin, worker, caregiver = await secure_pair(relay)
    tablet = SecureClient(relay.url, DeviceKeys.generate(NOW))
    await tablet.register((await caregiver.relay.link_device())["link"])
    sent = await send_attachment(
        worker, caregiver.account_id, PICTURE, "image/jpeg", width=1200, height=900
    )
    await send_attachment(worker, caregiver.account_id, VOICE, "audio/ogg", duration_ms=4200)
    storage = relay.ctx.storage
    for device, folder in ((caregiver, "phone"), (tablet, "tablet")):
        picture, voice = await next_message(device), await next_message(device)
        assert picture.kind == voice.kind == "attachment"
        assert picture.message.id == sent.id and picture.message.fields["width"] == 1200
        (tmp_path / folder).mkdir()
        got = await fetch_attachment(device, picture, tmp_path / folder / "foto.jpg")
        assert got.read_bytes() == PICTURE
        await fetch_attachment(device, voice, tmp_path / folder / "voice.ogg")
        assert (tmp_path / folder / "voice.ogg").read_bytes() == VOICE
        still_there = await storage.blob(picture.message.fields["blob"])
        # the phone said blob_done, the tablet not yet: kept; after the tablet: gone
        assert (still_there is not None) == (folder == "phone")
    # the relay refuses what it no longer has
    with pytest.raises(RelayRefused) as refused:
        await tablet.relay.request("blob_fetch", {"blob": sent.fields["blob"]})
    assert refused.value.code == "unknown_blob"
    await close_all(worker, caregiver, tablet, admin)


async def test_a_20_mb_file_round_trips_and_a_tampered_blob_is_refused(relay, tmp_path):
    admin, worker, caregiver = await secure_pair(relay)
    source = tmp_path / "folder.pdf"
    with source.open("wb") as out:
        for _ in range(20):
            out.write(os.urandom(1024 * 1024))
    await send_attachment(worker, caregiver.account_id, source, "application/pdf", name="tips.pdf")
    received = await next_message(caregiver)
    assert received.message.fields["plain_size"] == 20 * 1024 * 1024
    got = await fetch_attachment(caregiver, received, tmp_path / "got.pdf")
    digest = hashlib.sha256
    assert digest(got.read_bytes()).digest() == digest(source.read_bytes()).digest()
    # A message whose hash does not match the blob: refused, no file left behind.
    await send_attachment(worker, caregiver.account_id, VOICE, "audio/ogg")
    voice = await next_message(caregiver)
    voice.message.fields["sha256"] = "0" * 64
    with pytest.raises(AttachmentError) as error:
        await fetch_attachment(caregiver, voice, tmp_path / "bad.ogg")
    assert error.value.reason == "hash_mismatch"
    assert not (tmp_path / "bad.ogg").exists() and not (tmp_path / "bad.ogg.part").exists()
    await close_all(worker, caregiver, admin)


async def test_memory_stays_flat_on_relay_and_client_for_a_25_mb_file(relay, tmp_path):
    """Relay and clients share this process: tracemalloc's peak covers both ends. Whole-file
    buffering anywhere (the PATCH body, the encryptor, the GET) would add 25 MB to it."""
    admin, worker, caregiver = await secure_pair(relay)
    source = tmp_path / "video.mp4"
    with source.open("wb") as out:
        for _ in range(25):
            out.write(os.urandom(1_000_000))
    tracemalloc.start()
    try:
        await send_attachment(worker, caregiver.account_id, source, "video/mp4")
        received = await next_message(caregiver)
        await fetch_attachment(caregiver, received, tmp_path / "got.mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "got.mp4").stat().st_size == 25_000_000
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a 25 MB file"
    await close_all(worker, caregiver, admin)


async def test_an_attachment_waiting_for_a_wiped_phone_reaches_its_recovered_device(
    relay, tmp_path
):
    """The old phone never fetched it and was revoked by a recovery: the worker's client
    sends the message again to the new phone (undeliverable), naming the blob again, and
    the new phone can fetch it (the blob is kept to its expiry for exactly this)."""
    admin, worker, old = await secure_pair(relay)
    await worker.send_text(old.account_id, "hallo")  # sessions with the old phone
    await next_message(old)
    await old.close()
    sent = await send_attachment(worker, old.account_id, VOICE, "audio/ogg", duration_ms=900)
    link = (await worker.relay.create_recovery(old.account_id))["link"]
    new = SecureClient(relay.url, DeviceKeys.generate(NOW, one_time_prekeys=5))
    await new.register(link)
    assert len(await asyncio.wait_for(worker.resent.get(), WAIT)) == 1
    again = await next_message(new)
    assert again.message.id == sent.id and again.kind == "attachment"
    got = await fetch_attachment(new, again, tmp_path / "voice.ogg")
    assert got.read_bytes() == VOICE
    await close_all(worker, new, admin)
