"""Security response headers on every HTTP response the relay sends.

Added in `on_response_prepare`, not in a middleware: that signal also fires for responses a
middleware never sees returned — a 404 from the router, an `HTTPException` raised by a
handler, the WebSocket handshake, the 500 aiohttp makes of a bug.

The web app is plain ES modules from this origin, with no inline script or style, no
frames, no CDN (PROTOCOL.md §5), so the policy can allow 'self' only. Camera and microphone
stay available to the app itself: attachments (a photo, a voice note) will need them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # QR codes as data: URLs; a picked photo's preview
        "media-src 'self' blob:",  # a recorded voice note played back before sending
        "connect-src 'self'",  # the Socket.IO WebSocket of this origin
        "worker-src 'self'",  # the service worker, /sw.js
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # no clickjacking: nobody may frame the app
    )
)
# Powerful features: the app's own origin may ask for camera and microphone; nothing may
# ask for the rest (an empty allowlist), embedded or not.
PERMISSIONS_POLICY = ", ".join(
    (
        "camera=(self)",
        "microphone=(self)",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "hid=()",
        "midi=()",
        "display-capture=()",
        "screen-wake-lock=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
# Two years, subdomains included: what the HSTS preload list asks for. Sent only when
# people reach the relay over https, or a browser would refuse plain http on a LAN desk.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def headers_for(public_url: str, request_is_tls: bool) -> dict[str, str]:
    """Every security header for one response. HSTS needs TLS: the configured public URL
    is https (a TLS proxy in front of the relay), or this very request came over TLS."""
    headers = dict(HEADERS)
    if request_is_tls or urlsplit(public_url).scheme == "https":
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


def install(app: web.Application, public_url: str) -> None:
    """Add the headers to every response `app` prepares; a handler's own value wins."""

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        # request.secure is TLS on this very socket: aiohttp believes no forwarded header.
        for name, value in headers_for(public_url, request.secure).items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(add_headers)
