"""Security response headers on every HTTP response the relay sends.

Added in `on_response_prepare`, not in a middleware: that signal also fires for responses a
middleware never sees returned — a 404 from the router, an `HTTPException` raised by a
handler, the WebSocket handshake, the 500 aiohttp makes of a bug.

Two sets. Every response gets `EVERY_RESPONSE` (and HSTS behind TLS). Anything a browser
may show as a page or run as a worker — the app's page, the service worker, SVG, every
error and API answer — also gets `DOCUMENT`: the content security policy, the opener and
permissions policies. A script, style sheet, picture or font the page loads is not a
document, and browsers ignore those headers on it; leaving them off saves about 700 bytes
on each of the 40-odd requests of a caregiver's first load on a slow phone
(docs/performance.md).

The web app is plain ES modules from this origin, with no inline script or style, no
frames, no CDN (PROTOCOL.md §5), so the policy can allow 'self' only. Camera and microphone
stay available to the app itself: attachments (a photo, a voice note) will need them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

# Directives default-src already covers (connect, worker, manifest, font) are left out: a
# shorter header on every page. script-src is spelled out so nobody widens default-src
# into running script from elsewhere by accident.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # QR codes as data: URLs; a picked photo's preview
        "media-src 'self' blob:",  # a recorded voice note played back before sending
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
        "display-capture=()",
    )
)
EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
DOCUMENT = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
}
HEADERS = {**EVERY_RESPONSE, **DOCUMENT}
# Two years, subdomains included: what the HSTS preload list asks for. Sent only when
# people reach the relay over https, or a browser would refuse plain http on a LAN desk.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"
# The app's files that a page loads and never shows as a page of their own. SVG is not
# here: opened directly it is a document and may hold script.
SUBRESOURCES = (".js", ".mjs", ".css", ".png", ".ico", ".woff2", ".json", ".webmanifest")


def is_subresource(path: str, status: int) -> bool:
    """A file of the app served under /app/ (or its 304): not a document."""
    return status in (200, 304) and path.startswith("/app/") and path.endswith(SUBRESOURCES)


def headers_for(public_url: str, request_is_tls: bool, document: bool = True) -> dict[str, str]:
    """The security headers for one response. HSTS needs TLS: the configured public URL
    is https (a TLS proxy in front of the relay), or this very request came over TLS."""
    headers = dict(HEADERS if document else EVERY_RESPONSE)
    if request_is_tls or urlsplit(public_url).scheme == "https":
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return headers


def install(app: web.Application, public_url: str) -> None:
    """Add the headers to every response `app` prepares; a handler's own value wins."""

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        document = not is_subresource(request.path, response.status)
        # request.secure is TLS on this very socket: aiohttp believes no forwarded header.
        for name, value in headers_for(public_url, request.secure, document).items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(add_headers)
