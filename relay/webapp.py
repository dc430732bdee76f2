"""Serving the web app: the files under clients/web, compressed, revalidated, never listed.

The relay is the only host the web app ever talks to (no CDN), so it serves the app itself.
Caregivers use cheap phones on slow connections: every text file goes out gzip-compressed
(compressed once, kept in memory by content hash), every response carries a strong ETag so
a reload costs a 304, and vendored third-party files, whose names carry their pinned
version, may be cached for a year. The app's own files are revalidated on
every load (``no-cache``): a stale module next to a fresh one would break the app, and the
versioned service worker already keeps the shell available offline.

Only known file types are served, and only from inside clients/web; the vendor refresh
script and licence texts are not part of the app but harmless to serve.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parent.parent / "clients" / "web"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
# sw.js's version line; the relay fills in WebFiles.app_version().
_VERSION_LINE = re.compile(r'^const VERSION = "[^"]*";', re.MULTILINE)
# Already compressed formats gain nothing from gzip.
NOT_COMPRESSED = {".png", ".ico", ".woff2"}
# Vendored third-party files carry their version in their name (vendor/refresh.py), so a
# new version is a new URL: browsers may keep them for a year without asking again.
VENDOR_CACHE = "public, max-age=31536000, immutable"
APP_CACHE = "no-cache"  # revalidate: the ETag makes that a cheap 304


@dataclass(frozen=True)
class _Prepared:
    etag: str
    body: bytes
    gzipped: bytes | None
    content_type: str


class WebFiles:
    """Reads, hashes and compresses files once per content version."""

    def __init__(self, root: Path = WEB_ROOT) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[tuple[int, int, str], _Prepared]] = {}
        # (url, mtime) of the page and its modules, and the Link header made from them
        self.preload_memo: tuple[tuple[tuple[str, int], ...], str] | None = None

    def resolve(self, relative: str) -> Path | None:
        """The file for a URL path, or None when it is outside the root or not servable."""
        if not relative or "\\" in relative or "\0" in relative:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        if candidate.suffix not in CONTENT_TYPES:
            return None
        return candidate

    def prepare(self, path: Path) -> _Prepared:
        stat = path.stat()
        worker = path == self.root / "sw.js"
        app = self.app_version() if worker else ""
        version = (stat.st_mtime_ns, stat.st_size, app)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        body = path.read_bytes()
        if worker:  # a new app version is a new worker, which replaces the cached shell
            body = _VERSION_LINE.sub(f'const VERSION = "{app}";', body.decode(), count=1).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        gzipped = None
        if path.suffix not in NOT_COMPRESSED and len(body) > 256:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        prepared = _Prepared(etag, body, gzipped, CONTENT_TYPES[path.suffix])
        self._cache[path] = (version, prepared)
        return prepared

    def app_version(self) -> str:
        """A hash of every file the app is made of (content, not times): the service
        worker's VERSION, so no release can forget to change it."""
        digest = hashlib.sha256()
        for path in sorted(self.root.rglob("*")):
            if path.suffix in CONTENT_TYPES and path.name != "sw.js" and path.is_file():
                digest.update(path.relative_to(self.root).as_posix().encode())
                digest.update(self.prepare(path).etag.encode())
        return digest.hexdigest()[:16]

    def response(self, request: web.Request, path: Path, **headers: str) -> web.Response:
        prepared = self.prepare(path)
        cache = VENDOR_CACHE if "vendor" in path.relative_to(self.root).parts else APP_CACHE
        common = {"ETag": prepared.etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
        common.update(headers)
        if prepared.etag in _etags(request.headers.get("If-None-Match", "")):
            return web.Response(status=304, headers=common)
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
        if prepared.gzipped is not None and accepts_gzip:
            common["Content-Encoding"] = "gzip"
            body = prepared.gzipped
        else:
            body = prepared.body
        return web.Response(body=body, headers={**common, "Content-Type": prepared.content_type})


# Static imports only: `import … from "x"`, `export … from "x"`, `import "x"`. Dynamic
# `import("x")` stays lazy on purpose (screens a caregiver never opens).
_STATIC_IMPORT = re.compile(r"""(?:\bfrom\s*|^\s*import\s*)["']([^"']+\.m?js)["']""", re.MULTILINE)
_MODULE_SCRIPT = re.compile(r"""<script[^>]*type=["']module["'][^>]*src=["']([^"']+)["']""")
_MODULE_PRELOAD = re.compile(r"""<link[^>]*rel=["']modulepreload["'][^>]*href=["']([^"']+)["']""")


def module_graph(files: WebFiles, page: str = "index.html") -> list[str]:
    """URL paths of every module the page's module scripts and `modulepreload` links
    import, directly or not, in breadth-first order: what the browser would otherwise
    discover one round trip at a time. On a 150 ms line that waterfall, not the bytes, is
    what a caregiver waits for. The page names the roots (its entry script, and with
    modulepreload the lazily loaded parts on a caregiver's path); this adds the rest."""
    html = files.resolve(page)
    if html is None:
        return []
    text = html.read_text(encoding="utf-8")
    queue = _MODULE_SCRIPT.findall(text) + _MODULE_PRELOAD.findall(text)
    seen: list[str] = []
    while queue:
        url = queue.pop(0)
        if url in seen or not url.startswith("/app/"):
            continue
        path = files.resolve(url.removeprefix("/app/"))
        if path is None:
            continue
        seen.append(url)
        base = posixpath.dirname(url)
        for target in _STATIC_IMPORT.findall(path.read_text(encoding="utf-8")):
            if target.startswith("."):
                queue.append(posixpath.normpath(posixpath.join(base, target)))
            elif target.startswith("/"):
                queue.append(target)
    return seen


def preload_header(files: WebFiles) -> str:
    """The Link header for the page, recomputed only when one of its files changed."""
    memo = files.preload_memo
    if memo is not None and all(_mtime(files, url) == mtime for url, mtime in memo[0]):
        return memo[1]
    modules = module_graph(files)
    header = ", ".join(f"<{url}>; rel=modulepreload" for url in modules)
    stamps = tuple((url, _mtime(files, url)) for url in ["/app/index.html", *modules])
    files.preload_memo = (stamps, header)
    return header


def _mtime(files: WebFiles, url: str) -> int:
    path = files.resolve(url.removeprefix("/app/"))
    return -1 if path is None else path.stat().st_mtime_ns


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def add_web_routes(app: web.Application, files: WebFiles | None = None) -> None:
    """`/` (the app), `/sw.js` (root scope), `/manifest.webmanifest` and `/app/<file>`."""
    files = files or WebFiles()

    def single(name: str, **headers: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            path = files.resolve(name)
            if path is None:
                raise web.HTTPNotFound(text="The web app is not installed next to this relay.")
            return files.response(request, path, **headers)

        return handler

    async def static(request: web.Request) -> web.Response:
        path = files.resolve(request.match_info["path"])
        if path is None:
            raise web.HTTPNotFound(text="No such file in the web app.")
        return files.response(request, path)

    async def index(request: web.Request) -> web.Response:
        path = files.resolve("index.html")
        if path is None:
            raise web.HTTPNotFound(text="The web app is not installed next to this relay.")
        # Every module at once, as Link headers: the browser fetches them in parallel
        # instead of discovering them import by import (docs/performance.md, web app).
        link = preload_header(files)
        return files.response(request, path, **({"Link": link} if link else {}))

    app.router.add_get("/", index)
    # A service worker controls only pages under its own path: served from the root it
    # can keep the whole app available offline.
    app.router.add_get("/sw.js", single("sw.js", **{"Service-Worker-Allowed": "/"}))
    app.router.add_get("/manifest.webmanifest", single("manifest.webmanifest"))
    app.router.add_get("/app/{path:.+}", static)
