"""The relay's blob endpoints (PROTOCOL.md §4.17) on the real relay: limits and hostile
input answered with precise codes, and uploads and downloads that resume after the
connection is cut in the middle (through a proxy that cuts it once)."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from helpers import WAIT
from relay.blobs.tokens import DOWNLOAD, UPLOAD, Grant, make_token, read_token
from steuntje_client.blobs import BlobTransfer
from steuntje_client.errors import RelayRefused

TUS = {"Tus-Resumable": "1.0.0"}
KIB = 1024


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def patch_headers(token: str, offset: int) -> dict[str, str]:
    return (
        bearer(token)
        | TUS
        | {
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
        }
    )


async def refused(client, event: str, data: dict) -> RelayRefused:
    with pytest.raises(RelayRefused) as caught:
        await client.request(event, data)
    return caught.value


async def answer(reply: aiohttp.ClientResponse) -> tuple[int, str | None, dict]:
    body = await reply.json() if reply.content_type == "application/json" else {}
    return reply.status, body.get("code"), body


async def test_limits_and_hostile_requests_get_precise_codes(small_relay):
    relay = await small_relay(max_blob_bytes=1000, blob_quota_bytes=2500, blob_creates_per_minute=4)
    _, worker, caregiver = await relay.onboard()
    too_big = await refused(worker, "blob_create", {"size": 1001})
    assert too_big.code == "blob_too_large" and too_big.details["limit"] == 1000
    assert (await refused(worker, "blob_create", {"size": 0})).code == "malformed"
    mine = await worker.request("blob_create", {"size": 1000})
    await worker.request("blob_create", {"size": 1000})
    quota = await refused(worker, "blob_create", {"size": 501})
    assert quota.code == "quota_exceeded" and quota.details["limit"] == 2500
    await worker.request("blob_create", {"size": 1})  # the fourth token (refusals count too)
    rate = await refused(worker, "blob_create", {"size": 1})
    assert rate.code == "rate_limited" and rate.details["retry_after_ms"] > 0
    await worker.close()
    await worker.connect()  # a new connection does not refill the device's bucket
    assert (await refused(worker, "blob_create", {"size": 1})).code == "rate_limited"
    theirs = await caregiver.request("blob_create", {"size": 10})
    url = f"{relay.url}/blobs"
    async with aiohttp.ClientSession() as http:
        # An upload to someone else's blob with one's own token: not permitted.
        reply = await http.patch(
            f"{url}/{theirs['blob']}",
            data=b"x" * 10,
            headers=patch_headers(mine["upload_token"], 0),
        )
        assert (await answer(reply))[:2] == (403, "not_permitted")
        # A wrong offset says where the upload stands; past the length is too large.
        reply = await http.patch(
            f"{url}/{mine['blob']}", data=b"x" * 10, headers=patch_headers(mine["upload_token"], 5)
        )
        status, code, body = await answer(reply)
        assert (status, code, body["offset"]) == (409, "offset_mismatch", 0)
        reply = await http.patch(
            f"{url}/{mine['blob']}",
            data=b"x" * 1001,
            headers=patch_headers(mine["upload_token"], 0),
        )
        assert (await answer(reply))[:2] == (413, "blob_too_large")
        no_tus = {
            k: v for k, v in patch_headers(mine["upload_token"], 0).items() if k != "Tus-Resumable"
        }
        reply = await http.patch(f"{url}/{mine['blob']}", data=b"x", headers=no_tus)
        assert reply.status == 412
        half = await http.patch(
            f"{url}/{mine['blob']}", data=b"y" * 600, headers=patch_headers(mine["upload_token"], 0)
        )
        assert half.status == 204 and half.headers["Upload-Offset"] == "600"
        # A lost token: a fresh one for one's own unfinished blob, with where it stands.
        again = await worker.request("blob_create", {"blob": mine["blob"]})
        assert (again["offset"], again["size"]) == (600, 1000) and again["upload_token"]
        resume = await refused(caregiver, "blob_create", {"blob": mine["blob"]})
        assert resume.code == "not_permitted"
        # Naming an unfinished blob, or another account's, in send: that envelope is refused.
        with pytest.raises(RelayRefused) as unfinished:
            await worker.send(caregiver.device_id, b"m", blobs=[mine["blob"]])
        assert unfinished.value.code == "blob_incomplete"
        with pytest.raises(RelayRefused) as foreign:
            await worker.send(caregiver.device_id, b"m", blobs=[theirs["blob"]])
        assert foreign.value.code == "unknown_blob"
        head = await http.head(f"{url}/{mine['blob']}", headers=bearer(mine["upload_token"]) | TUS)
        assert (head.status, head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (
            200,
            "600",
            "1000",
        )
        assert head.headers["Cache-Control"] == "no-store"
        # Downloads: nothing without a download token.
        for headers in ({}, bearer("forged.token"), bearer(mine["upload_token"])):
            reply = await http.get(f"{url}/{mine['blob']}", headers=headers)
            assert (await answer(reply))[:2] == (401, "bad_token")
        done = await http.patch(
            f"{url}/{mine['blob']}",
            data=b"z" * 400,
            headers=patch_headers(mine["upload_token"], 600),
        )
        assert done.headers["Upload-Offset"] == "1000"
        await worker.send(caregiver.device_id, b"m", blobs=[mine["blob"]])
        # A device that received no envelope naming it may not fetch it, nor say it is done.
        admin = relay.clients[0]
        assert (await refused(admin, "blob_fetch", {"blob": mine["blob"]})).code == "not_permitted"
        assert (await refused(admin, "blob_done", {"blob": mine["blob"]})).code == "not_permitted"
        fetch = await caregiver.request("blob_fetch", {"blob": mine["blob"]})
        reply = await http.get(
            f"{url}/{mine['blob']}",
            headers=bearer(fetch["download_token"]) | {"Range": "bytes=590-"},
        )
        assert reply.status == 206 and reply.headers["Content-Range"] == "bytes 590-999/1000"
        assert await reply.read() == b"y" * 10 + b"z" * 400
        assert reply.headers["Cache-Control"] == "no-store"
        # The same token for another blob: not permitted; once revoked, the device's is dead.
        reply = await http.get(f"{url}/{theirs['blob']}", headers=bearer(fetch["download_token"]))
        assert (await answer(reply))[:2] == (403, "not_permitted")
        await admin.revoke_device(caregiver.device_id)
        reply = await http.get(f"{url}/{mine['blob']}", headers=bearer(fetch["download_token"]))
        assert (await answer(reply))[:2] == (401, "bad_token")
        # The blob stays to its expiry (a resend to the account's new device names it
        # again, docs/retention.md), but the revoked device is no reader any more.
        assert not await relay.ctx.storage.is_blob_reader(mine["blob"], caregiver.device_id)


class CuttingProxy:
    """A TCP proxy to the relay that cuts the first connection to carry more than `cut_at`
    bytes in one direction (`upstream`: towards the relay), and passes everything else."""

    def __init__(self, target_port: int, cut_at: int, upstream: bool) -> None:
        self.target_port, self.cut_at, self.upstream = target_port, cut_at, upstream
        self.cut = asyncio.Event()
        self.sent_up = 0  # bytes passed towards the relay, over all connections
        self.requests: list[bytes] = []  # the first bytes of each connection's requests
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        cutting = not self.cut.is_set()

        async def pipe(source, sink, towards_relay: bool) -> None:
            carried = 0
            try:
                while data := await source.read(64 * KIB):
                    if towards_relay:
                        self.sent_up += len(data)
                        self.requests.append(data[:1000])
                    carried += len(data)
                    over = cutting and towards_relay == self.upstream and carried > self.cut_at
                    if over and not self.cut.is_set():
                        self.cut.set()
                        break
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            for stream in (writer, up_writer):
                stream.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.mark.parametrize("upstream", [True, False], ids=["upload", "download"])
async def test_a_transfer_cut_in_the_middle_resumes_where_it_stopped(relay, upstream):
    _, worker, caregiver = await relay.onboard()
    content = os.urandom(3 * KIB * KIB + 12_345)
    port = int(relay.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_at=int(1.5 * KIB * KIB), upstream=upstream)
    url = await proxy.start()
    try:
        async with BlobTransfer(worker, url=url if upstream else None) as transfer:
            blob = await transfer.upload(lambda: iter([content]), len(content))
        await worker.send(caregiver.device_id, b"m", blobs=[blob])
        async with BlobTransfer(caregiver, url=None if upstream else url) as transfer:
            got = b"".join([piece async for piece in transfer.download(blob)])
        await asyncio.wait_for(proxy.cut.wait(), WAIT)  # the cut did happen
        assert got == content
        if upstream:  # resumed, not started again: well under twice the content went up
            assert proxy.sent_up < len(content) + 1.2 * KIB * KIB
        else:  # the second request asked for the rest only
            assert any(b"Range: bytes=" in request for request in proxy.requests)
    finally:
        await proxy.close()


def test_a_token_is_refused_once_expired_altered_or_made_with_another_secret():
    secret, now = b"s" * 32, 1_790_000_000
    grant = Grant(DOWNLOAD, "b" * 22, "d" * 43, now + 600)
    token = make_token(secret, grant)
    assert read_token(secret, token, now) == grant
    assert read_token(secret, token, now + 600) is None  # expired
    assert read_token(b"t" * 32, token, now) is None  # another relay's secret
    payload, mac = token.split(".")
    other = make_token(secret, Grant(UPLOAD, grant.blob, grant.device, grant.expires_at))
    assert read_token(secret, f"{other.split('.')[0]}.{mac}", now) is None  # direction swapped
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in (f"{payload}.{flipped}", payload, "", "é.é", f"{payload}.{mac}.x", "x" * 600):
        assert read_token(secret, bad, now) is None, bad
