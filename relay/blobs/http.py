"""`HEAD`, `PATCH` and `GET /blobs/<id>`: blob bytes over HTTP (PROTOCOL.md §4.17).

Uploads follow tus 1.0.0 core (offset, resume with HEAD) without its creation extension: a
blob is created over the socket, where the device is already authenticated. Bytes stream
in both directions in pieces of at most 256 KiB, so a 25 MB blob never sits in the relay's
memory; `client_max_size` (for every other request) is not involved because the body is
read as a stream, never with `request.read()`.

Every refusal is `{"code", "message"}` JSON like the socket's errors. Tokens are read from
the `Authorization` header only (never a URL, which could end up in a log) and are never
logged.

A web app served from another origin may use these endpoints only when that origin is one
of `config.allowed_origins` (`--allowed-origin`, the same list the socket accepts): it gets
CORS answers naming that origin alone, without credentials (the token travels in a header,
not a cookie). Any other origin gets no CORS header, so browsers keep it same-origin.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import ClientPayloadError, web

from relay.blobs import BLOB_ID, PIECE_BYTES
from relay.blobs.tokens import DOWNLOAD, UPLOAD, Grant, read_token
from relay.context import RelayContext
from relay.errors import MESSAGES, Code, RelayError
from relay.storage.base import BlobRecord

log = logging.getLogger("steuntje.relay")

TUS_VERSION = "1.0.0"
UPLOAD_TYPE = "application/offset+octet-stream"
_RANGE = re.compile(r"bytes=(\d{1,19})-")
_DIGITS = re.compile(r"\d{1,19}")
# Refusal statuses (PROTOCOL.md §4.17, "HTTP errors").
_STATUS = {
    Code.BAD_TOKEN: 401,
    Code.NOT_PERMITTED: 403,
    Code.UNKNOWN_BLOB: 404,
    Code.OFFSET_MISMATCH: 409,
    Code.BLOB_INCOMPLETE: 409,
    Code.BLOB_TOO_LARGE: 413,
    Code.MALFORMED: 400,
    Code.UNAVAILABLE: 503,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

BLOB_PATH = "/blobs/"
# What a web app on an allowed origin may send and read (tus headers, Range, the token).
CORS_METHODS = "GET, HEAD, PATCH"
CORS_REQUEST_HEADERS = "Authorization, Content-Type, Range, Tus-Resumable, Upload-Offset"
CORS_EXPOSED = "Upload-Offset, Upload-Length, Tus-Resumable, Content-Range"
CORS_MAX_AGE_S = "600"


class Refused(Exception):
    """A refusal to answer with a status and a wire error code."""

    def __init__(self, code: Code, status: int | None = None, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.status = status or _STATUS.get(code, 500)
        self.details = details


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def _refusal(refused: Refused) -> web.Response:
    body = {"code": str(refused.code), "message": MESSAGES[refused.code], **refused.details}
    return web.json_response(body, status=refused.status, headers=_headers())


def _log_bug(exc: BaseException) -> None:
    """A bug: say where, never what (the message may hold data)."""
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    log.error(
        "blob request failed: %s at %s:%s",
        type(exc).__name__,
        frame.filename.rsplit("/", 1)[-1],
        frame.lineno,
    )


def _answering(ctx: RelayContext, handler: Callable[..., Awaitable[web.StreamResponse]]) -> Handler:
    async def answer(request: web.Request) -> web.StreamResponse:
        try:
            if ctx.closing or not ctx.ready:
                raise Refused(Code.UNAVAILABLE)
            return await handler(ctx, request)
        except Refused as refused:
            return _refusal(refused)
        except RelayError as error:  # from storage: unknown_blob, blob_too_large, ...
            return _refusal(Refused(error.code, **error.details))
        except (ConnectionResetError, asyncio.CancelledError):
            raise  # the client went away: nothing to answer
        except Exception as exc:
            _log_bug(exc)
            return _refusal(Refused(Code.INTERNAL_ERROR, 500))

    return answer


async def _grant(ctx: RelayContext, request: web.Request, direction: str) -> Grant:
    """The token's grant for this blob; refuses a missing, forged or expired token, one for
    the other direction or of a device no longer active (401), one for another blob (403)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused(Code.BAD_TOKEN)
    grant = read_token(await ctx.storage.blob_secret(), token.strip(), ctx.now())
    if grant is None or grant.direction != direction:
        raise Refused(Code.BAD_TOKEN)
    blob_id = request.match_info["blob"]
    if not BLOB_ID.fullmatch(blob_id):
        raise Refused(Code.UNKNOWN_BLOB)
    if grant.blob != blob_id:
        raise Refused(Code.NOT_PERMITTED)
    device = await ctx.storage.device(grant.device)
    if device is None or device.device_status != "active" or device.account_status != "active":
        raise Refused(Code.BAD_TOKEN)
    return grant


async def _live_blob(ctx: RelayContext, blob_id: str) -> BlobRecord:
    blob = await ctx.storage.blob(blob_id)
    if blob is None or blob.expires_at <= ctx.now():  # expired: hidden before it is purged
        raise Refused(Code.UNKNOWN_BLOB)
    return blob


def _require_tus(request: web.Request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise Refused(Code.MALFORMED, 412)


async def head_blob(ctx: RelayContext, request: web.Request) -> web.StreamResponse:
    _require_tus(request)
    grant = await _grant(ctx, request, UPLOAD)
    blob = await _live_blob(ctx, grant.blob)
    return web.Response(
        status=200,
        headers=_headers(**{"Upload-Offset": str(blob.received), "Upload-Length": str(blob.size)}),
    )


async def patch_blob(ctx: RelayContext, request: web.Request) -> web.StreamResponse:
    _require_tus(request)
    if request.content_type != UPLOAD_TYPE:
        raise Refused(Code.MALFORMED, 415)
    offset_text = request.headers.get("Upload-Offset", "")
    if not _DIGITS.fullmatch(offset_text):
        raise Refused(Code.MALFORMED)
    grant = await _grant(ctx, request, UPLOAD)
    blob = await _live_blob(ctx, grant.blob)
    offset = int(offset_text)
    if offset != blob.received:
        raise Refused(Code.OFFSET_MISMATCH, offset=blob.received)
    length = request.content_length
    if length is not None and offset + length > blob.size:
        raise Refused(Code.BLOB_TOO_LARGE, limit=blob.size)
    position = await _receive(ctx, request, blob, offset)
    return web.Response(status=204, headers=_headers(**{"Upload-Offset": str(position)}))


async def _store(ctx: RelayContext, blob: BlobRecord, position: int, piece: bytes) -> int:
    stored, received = await ctx.storage.append_blob(blob.id, position, piece)
    if not stored:  # another PATCH of the same blob got there first
        raise Refused(Code.OFFSET_MISMATCH, offset=received)
    return received


async def _receive(ctx: RelayContext, request: web.Request, blob: BlobRecord, offset: int) -> int:
    """Read the body piece by piece into the database; returns the new offset. A body that
    breaks off keeps what arrived (the client resumes from HEAD's offset)."""
    position, buffer = offset, bytearray()
    try:
        while True:
            data = await request.content.read(PIECE_BYTES - len(buffer))
            if not data:
                break
            buffer += data
            if position + len(buffer) > blob.size:
                raise Refused(Code.BLOB_TOO_LARGE, limit=blob.size)
            if len(buffer) == PIECE_BYTES:
                position = await _store(ctx, blob, position, bytes(buffer))
                buffer.clear()
    except ClientPayloadError:  # the connection broke mid-body: keep what arrived
        if buffer:
            position = await _store(ctx, blob, position, bytes(buffer))
        return position  # the answer reaches nobody; the client resumes with HEAD
    if buffer:
        position = await _store(ctx, blob, position, bytes(buffer))
    return position


async def get_blob(ctx: RelayContext, request: web.Request) -> web.StreamResponse:
    grant = await _grant(ctx, request, DOWNLOAD)
    blob = await _live_blob(ctx, grant.blob)
    if not blob.complete:
        raise Refused(Code.BLOB_INCOMPLETE)
    start, status = 0, 200
    headers = _headers(**{"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"})
    wanted = _RANGE.fullmatch(request.headers.get("Range", "").strip())
    if wanted:
        start, status = int(wanted.group(1)), 206
        if start >= blob.size:
            return web.Response(
                status=416, headers={**headers, "Content-Range": f"bytes */{blob.size}"}
            )
        headers["Content-Range"] = f"bytes {start}-{blob.size - 1}/{blob.size}"
    headers.pop("Tus-Resumable")
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = blob.size - start
    await response.prepare(request)
    position = start
    try:
        while position < blob.size:
            piece = await ctx.storage.read_blob_piece(blob, position)
            if not piece:  # deleted meanwhile: the download ends short, a retry gets 404
                break
            await response.write(piece)
            position += len(piece)
    except ConnectionResetError:
        raise  # the client went away
    except Exception as exc:  # the headers are sent: end short, the client resumes
        _log_bug(exc)
        return response
    await response.write_eof()
    return response


def _allowed_origin(ctx: RelayContext, request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    return origin if origin and origin in ctx.config.allowed_origins else None


async def preflight(ctx: RelayContext, request: web.Request) -> web.StreamResponse:
    """A browser asking whether a page of another origin may send this request."""
    origin = _allowed_origin(ctx, request)
    if origin is None:  # no CORS headers: the browser refuses the request itself
        raise Refused(Code.NOT_PERMITTED)
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
        "Access-Control-Max-Age": CORS_MAX_AGE_S,
        "Vary": "Origin",
        "Cache-Control": "no-store",
    }
    return web.Response(status=204, headers=headers)


def _cors_on_response(ctx: RelayContext) -> Callable[..., Awaitable[None]]:
    async def add_cors(request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith(BLOB_PATH) or request.method == "OPTIONS":
            return
        response.headers["Vary"] = "Origin"  # the answer depends on who asks
        origin = _allowed_origin(ctx, request)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED

    return add_cors


def add_blob_routes(app: web.Application, ctx: RelayContext) -> None:
    route = "/blobs/{blob}"
    app.router.add_route("HEAD", route, _answering(ctx, head_blob))
    app.router.add_route("PATCH", route, _answering(ctx, patch_blob))
    app.router.add_get(route, _answering(ctx, get_blob), allow_head=False)
    app.router.add_route("OPTIONS", route, _answering(ctx, preflight))
    # On every /blobs/ answer, errors and the router's 404 included (on_response_prepare).
    app.on_response_prepare.append(_cors_on_response(ctx))
