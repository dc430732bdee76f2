"""Blob transport: upload and download an attachment's ciphertext over the relay's HTTP
endpoints (PROTOCOL.md §4.17), streaming, resuming after a lost connection.

Memory stays flat whatever the size: an upload reads its source piece by piece and sends
PATCHes of `PATCH_BYTES`; a download hands each piece to a callback as it arrives. A lost
connection is retried a few times: the upload asks `HEAD` how far the relay got and starts
its source again from the beginning, skipping what is there (the attachment format is
deterministic for a key, so the same bytes come out); the download asks for
`Range: bytes=<received>-`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp

from steuntje_client.client import RelayClient
from steuntje_client.errors import ClientError, ConnectionLost, RelayRefused

PATCH_BYTES = 1024 * 1024  # one PATCH's body
READ_BYTES = 64 * 1024  # one read from a download
ATTEMPTS = 5  # tries of one transfer before giving up (ConnectionLost)
RETRY_PAUSE_S = 0.2  # times the attempt number: a short rest before a retry
TUS = {"Tus-Resumable": "1.0.0"}

Source = Callable[[], Iterator[bytes]]  # yields the blob's bytes from the start, each call


class BlobTransfer:
    """One device's uploads and downloads, on the relay `relay` is connected to."""

    def __init__(
        self,
        relay: RelayClient,
        session: aiohttp.ClientSession | None = None,
        url: str | None = None,  # where /blobs/ is, if not where the socket is (a proxy)
    ) -> None:
        self.relay = relay
        self.url = (url or relay.url).rstrip("/")
        self._session = session
        self._own_session = session is None

    def __repr__(self) -> str:
        return f"BlobTransfer(device={self.relay.device_id!r})"

    async def __aenter__(self) -> BlobTransfer:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _url(self, blob: str) -> str:
        return f"{self.url}/blobs/{blob}"

    # -- upload ---------------------------------------------------------------------------

    async def upload(self, source: Source, size: int) -> str:
        """Create a blob of `size` bytes and upload what `source()` yields; returns its id."""
        created = await self.relay.request("blob_create", {"size": size})
        blob, token = created["blob"], created["upload_token"]
        for attempt in range(ATTEMPTS):
            try:
                offset = await self._offset(blob, token) if attempt else 0
                if offset < size:
                    await self._patch_from(blob, token, source, offset, size)
                return blob
            except _TokenExpired:
                token = (await self.relay.request("blob_create", {"blob": blob}))["upload_token"]
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                await asyncio.sleep(RETRY_PAUSE_S * attempt)
        raise ConnectionLost(f"upload of blob {blob} did not finish after {ATTEMPTS} tries")

    async def _offset(self, blob: str, token: str) -> int:
        async with self._http().head(self._url(blob), headers=_auth(token) | TUS) as reply:
            await _check(reply)
            return int(reply.headers["Upload-Offset"])

    async def _patch_from(
        self, blob: str, token: str, source: Source, offset: int, size: int
    ) -> None:
        position = 0
        for body in _pieces(source(), PATCH_BYTES):
            end = position + len(body)
            if end > offset:  # skip what the relay already has
                body = body[max(0, offset - position) :]
                headers = (
                    _auth(token)
                    | TUS
                    | {
                        "Content-Type": "application/offset+octet-stream",
                        "Upload-Offset": str(offset),
                    }
                )
                async with self._http().patch(self._url(blob), data=body, headers=headers) as r:
                    await _check(r)
                    offset = int(r.headers["Upload-Offset"])
            position = end
        if offset != size:
            raise ClientError(f"the source gave {offset} bytes, not {size}")

    # -- download -------------------------------------------------------------------------

    async def download(self, blob: str) -> AsyncIterator[bytes]:
        """The blob's bytes, piece by piece; resumes with `Range` after a lost connection."""
        fetched = await self.relay.request("blob_fetch", {"blob": blob})
        token, size = fetched["download_token"], fetched["size"]
        received = 0
        for attempt in range(ATTEMPTS):
            headers = _auth(token) | ({"Range": f"bytes={received}-"} if received else {})
            try:
                async with self._http().get(self._url(blob), headers=headers) as reply:
                    await _check(reply)
                    async for piece in reply.content.iter_chunked(READ_BYTES):
                        received += len(piece)
                        yield piece
                if received == size:
                    return
            except _TokenExpired:
                token = (await self.relay.request("blob_fetch", {"blob": blob}))["download_token"]
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                await asyncio.sleep(RETRY_PAUSE_S * attempt)
        raise ConnectionLost(f"download of blob {blob} did not finish after {ATTEMPTS} tries")

    async def done(self, blob: str) -> None:
        """Tell the relay this device has the blob (it deletes it once every reader has)."""
        await self.relay.request("blob_done", {"blob": blob})


class _TokenExpired(Exception):
    pass


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _check(reply: aiohttp.ClientResponse) -> None:
    """Raise RelayRefused with the relay's code for a refusal (_TokenExpired for bad_token,
    which a fresh token cures)."""
    if reply.status < 400:
        return
    try:
        error: dict[str, Any] = await reply.json()
    except (aiohttp.ContentTypeError, ValueError):
        error = {"code": f"http_{reply.status}"}
    if error.get("code") == "bad_token":
        raise _TokenExpired
    details = {k: v for k, v in error.items() if k not in ("code", "message")}
    raise RelayRefused(str(error.get("code")), str(error.get("message", "")), details)


def _pieces(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Regroup `chunks` into pieces of exactly `size` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
