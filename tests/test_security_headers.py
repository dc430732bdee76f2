"""Every HTTP response carries the security headers: the app, its files, a 304, the health
check, 404s from the router and from handlers, the refused polling transport and the
WebSocket handshake. The page-level policies (CSP, COOP, Permissions-Policy) on everything
a browser may show as a page; the app's scripts, styles and pictures get the short set.
HSTS only when people reach the relay over https."""

from __future__ import annotations

import aiohttp
import pytest

from relay.security_headers import DOCUMENT, EVERY_RESPONSE

# (method, path, expected status, shown as a page or run as a worker)
RESPONSES = {
    "the-app": ("GET", "/", 200, True),
    "the-service-worker": ("GET", "/sw.js", 200, True),
    "an-svg-icon": ("GET", "/app/icons/icon.svg", 200, True),
    "health": ("GET", "/healthz", 200, True),
    "not-in-the-router": ("GET", "/no/such/page", 404, True),
    "not-in-the-web-root": ("GET", "/app/no-such-file.js", 404, True),
    "a-method-not-allowed": ("POST", "/healthz", 405, True),
    "the-refused-polling-transport": ("GET", "/socket.io/?EIO=4&transport=polling", 400, True),
    "a-module": ("GET", "/app/app/main.js", 200, False),
    "a-vendored-file": ("GET", "/app/vendor/socket.io-4.8.4.esm.min.js", 200, False),
    "the-style-sheet": ("GET", "/app/styles/app.css", 200, False),
    "the-manifest": ("GET", "/app/manifest.webmanifest", 200, False),
}


def assert_secure(headers: aiohttp.typedefs.LooseHeaders, what: str, document: bool = True) -> None:
    for name, value in EVERY_RESPONSE.items():
        assert headers.get(name) == value, (what, name)
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    if not document:
        return
    for name, value in DOCUMENT.items():
        assert headers.get(name) == value, (what, name)
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, what
    assert "script-src 'self'" in csp and "object-src 'none'" in csp, what
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, what
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    features = dict(item.strip().split("=", 1) for item in headers["Permissions-Policy"].split(","))
    assert features["camera"] == features["microphone"] == "(self)", what
    assert features["geolocation"] == features["payment"] == features["usb"] == "()", what


@pytest.mark.parametrize("kind", RESPONSES, ids=list(RESPONSES))
async def test_every_kind_of_response_carries_the_headers(relay, kind):
    method, path, status, document = RESPONSES[kind]
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, relay.url + path) as response,
    ):
        assert response.status == status
        assert_secure(response.headers, kind, document)
        if not document:  # ignored there by browsers; ~700 B saved per file on a phone
            assert "Content-Security-Policy" not in response.headers
        assert "Strict-Transport-Security" not in response.headers  # plain http


async def test_a_not_modified_answer_carries_them_too(relay):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}/app/app/main.js") as first:
            etag = first.headers["ETag"]
        async with session.get(
            f"{relay.url}/app/app/main.js", headers={"If-None-Match": etag}
        ) as again:
            assert again.status == 304
            assert_secure(again.headers, "304", document=False)


async def test_the_websocket_handshake_carries_them(relay):
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{relay.url}/socket.io/?EIO=4&transport=websocket") as ws,
    ):
        assert_secure(ws._response.headers, "websocket handshake")


async def test_hsts_when_the_public_url_is_https(make_relay):
    relay = await make_relay(public_url="https://steuntje.example.nl")
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/", "/healthz", "/no/such/page"):
                async with session.get(relay.url + path) as response:
                    assert_secure(response.headers, path)
                    hsts = response.headers["Strict-Transport-Security"]
                    assert hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) >= 31536000
    finally:
        for server in make_relay.servers:
            await server.close()


async def test_a_handler_may_set_its_own_value(relay):
    """The service worker's own header stays; ours are added beside it."""
    async with aiohttp.ClientSession() as session, session.get(f"{relay.url}/sw.js") as response:
        assert response.headers["Service-Worker-Allowed"] == "/"
        assert_secure(response.headers, "sw.js")
