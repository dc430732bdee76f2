"""Attachments (issue 16), the gaps the first round left: a group attachment held back for
a handle that had no keys yet still names its blob when it goes; a download whose token
expires part-way gets a new one and resumes; a web app on an allowed origin may use
/blobs over CORS."""

from __future__ import annotations

import asyncio
import os
import re

import aiohttp
from test_blobs import KIB, CuttingProxy
from test_groups_e2e import group_of, party, until_seq

from helpers import WAIT
from relay.blobs import TOKEN_TTL_S
from steuntje_client.attachments import fetch_attachment, send_group_attachment
from steuntje_client.blobs import BlobTransfer
from steuntje_client.secure import SecureClient

PICTURE = b"\xff\xd8\xff\xe0" + os.urandom(20_000)


async def next_group_kind(client: SecureClient, kind: str):
    while True:  # skipping the profiles and rules people send each other
        received = await asyncio.wait_for(client.groups.messages.get(), WAIT)
        if received.kind == kind:
            return received


async def test_a_group_attachment_held_back_for_a_new_handle_names_its_blob(small_relay, tmp_path):
    everyone = await party(small_relay, 1)
    worker, (anna,) = everyone.worker, everyone.caregivers
    group = await group_of(worker, [anna])
    tablet = everyone.device()
    await tablet.register((await anna.relay.link_device())["link"])
    offer = tablet.groups.offer_device(group)
    # The tablet does not hear the group change (as if it went offline): it adopts its
    # handle, and so publishes its prekeys, only when the test says so.
    tablet.relay.group_changes.put_nowait = lambda group: None  # type: ignore[method-assign]
    await anna.groups.add_device(group, offer)
    await until_seq(worker, group, anna.groups.rosters[group].seq)
    # The tablet's handle is in the log without prekeys: the worker keeps its copy back
    # and sends it with its next message to the group.
    sent = await send_group_attachment(worker, group, PICTURE, "image/jpeg")
    assert offer.handle in worker.groups.waiting
    await tablet.groups.adopt(group)
    await worker.groups.send_text(group, "Nog een foto van vandaag")
    received = await next_group_kind(tablet, "attachment")
    assert received.message.id == sent.id
    got = await fetch_attachment(tablet, received, tmp_path / "foto.jpg")
    assert got.read_bytes() == PICTURE
    # Anna's phone, named at the first send, still fetches it too; then it is gone.
    on_phone = await next_group_kind(anna, "attachment")
    await fetch_attachment(anna, on_phone, tmp_path / "phone.jpg")
    assert await everyone.relay.ctx.storage.blob(sent.fields["blob"]) is None
    await everyone.close()


async def test_a_download_whose_token_expires_midway_resumes_with_a_new_one(relay):
    _, worker, caregiver = await relay.onboard()
    content = os.urandom(3 * KIB * KIB)
    async with BlobTransfer(worker) as transfer:
        blob = await transfer.upload(lambda: iter([content]), len(content))
    await worker.send(caregiver.device_id, b"m", blobs=[blob])
    port = int(relay.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_at=int(1.5 * KIB * KIB), upstream=False)
    url = await proxy.start()
    got = bytearray()
    try:
        async with BlobTransfer(caregiver, url=url) as transfer:
            async for piece in transfer.download(blob):
                if not got:  # the token is checked when a GET starts: the next one is late
                    relay.clock.advance(TOKEN_TTL_S + 1)
                got += piece
        await asyncio.wait_for(proxy.cut.wait(), WAIT)
    finally:
        await proxy.close()
    assert got == content
    heads = [r.decode("latin-1") for r in proxy.requests if r.startswith(b"GET /blobs/")]
    tokens = [re.search(r"Bearer (\S+)", head).group(1) for head in heads]  # type: ignore[union-attr]
    ranges = [re.search(r"Range: (\S+)", head) for head in heads]
    # Cut; the old token again with Range (401, expired); a new token from the same place.
    assert len(heads) == 3 and tokens[0] == tokens[1] != tokens[2], heads
    assert ranges[0] is None and ranges[1].group(1) == ranges[2].group(1)  # type: ignore[union-attr]


APP_ORIGIN = "https://app.steuntje.example"


async def test_a_web_app_on_an_allowed_origin_may_upload_and_download_over_cors(relay, make_relay):
    """`--allowed-origin` opens /blobs to that origin alone; the default stays same-origin."""
    opened = await make_relay(allowed_origins=(APP_ORIGIN,))
    _, worker, caregiver = await opened.onboard()
    content = os.urandom(5_000)
    created = await worker.request("blob_create", {"size": len(content)})
    blob, token = created["blob"], created["upload_token"]
    url = f"{opened.url}/blobs/{blob}"
    tus = {"Origin": APP_ORIGIN, "Tus-Resumable": "1.0.0", "Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        asking = {
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type,tus-resumable,"
            "upload-offset",
        }
        async with http.options(url, headers=asking) as reply:
            assert reply.status == 204
            assert reply.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            assert "PATCH" in reply.headers["Access-Control-Allow-Methods"]
            allowed = reply.headers["Access-Control-Allow-Headers"].lower()
            assert all(h in allowed for h in asking["Access-Control-Request-Headers"].split(","))
            assert "Access-Control-Allow-Credentials" not in reply.headers
        async with http.options(url, headers=asking | {"Origin": "https://evil.example"}) as reply:
            assert reply.status == 403 and "Access-Control-Allow-Origin" not in reply.headers
        patch = tus | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        async with http.patch(url, data=content, headers=patch) as reply:
            assert reply.status == 204 and reply.headers["Upload-Offset"] == str(len(content))
            assert reply.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            exposed = {h.strip() for h in reply.headers["Access-Control-Expose-Headers"].split(",")}
            assert {"Upload-Offset", "Upload-Length", "Tus-Resumable"} <= exposed
        async with http.head(url, headers=tus) as reply:
            assert reply.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            assert reply.headers["Upload-Length"] == str(len(content))
        await worker.send(caregiver.device_id, b"m", blobs=[blob])
        fetched = await caregiver.request("blob_fetch", {"blob": blob})
        down = {"Origin": APP_ORIGIN, "Authorization": f"Bearer {fetched['download_token']}"}
        async with http.get(url, headers=down | {"Range": "bytes=100-"}) as reply:
            assert reply.status == 206 and await reply.read() == content[100:]
            assert reply.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            assert "Content-Range" in reply.headers["Access-Control-Expose-Headers"]
        async with http.get(url, headers={"Origin": APP_ORIGIN}) as reply:  # a refusal too
            assert (
                reply.status == 401 and reply.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
            )
        # The default relay (no --allowed-origin) answers no origin but its own.
        _, other, _ = await relay.onboard()
        mine = await other.request("blob_create", {"size": 10})
        default_url = f"{relay.url}/blobs/{mine['blob']}"
        async with http.options(default_url, headers=asking) as reply:
            assert reply.status == 403 and "Access-Control-Allow-Origin" not in reply.headers
        async with http.head(
            default_url, headers=tus | {"Authorization": f"Bearer {mine['upload_token']}"}
        ) as reply:
            assert reply.status == 200 and "Access-Control-Allow-Origin" not in reply.headers
    for client in opened.clients:
        await client.close()
