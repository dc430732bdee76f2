"""How the relay serves the web app: gzipped, revalidated by ETag, nothing outside clients/web."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from relay.webapp import APP_CACHE, VENDOR_CACHE, WebFiles, add_web_routes, module_graph

MODULE = "export const greeting = 'hallo';\n" * 40  # long enough to be compressed


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    root = tmp_path / "web"
    (root / "app").mkdir(parents=True)
    (root / "vendor").mkdir()
    (root / "index.html").write_text("<!doctype html><title>t</title>" + " " * 300)
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (root / "app" / "main.js").write_text(MODULE)
    (root / "vendor" / "lib.js").write_text(MODULE)
    (root / "vendor" / "refresh.py").write_text("print('not for browsers')")
    (tmp_path / "secret.txt").write_text("outside the web root")
    app = web.Application()
    add_web_routes(app, WebFiles(root))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield str(server.make_url("")).rstrip("/"), root
    await server.close()


async def get(url: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(url, headers=headers) as response,
    ):
        return response.status, CIMultiDict(response.headers), await response.read()


async def test_text_files_are_gzipped_when_the_browser_accepts_it(site):
    url, _ = site
    status, headers, body = await get(f"{url}/app/app/main.js", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("text/javascript")
    assert gzip.decompress(body).decode() == MODULE
    assert len(body) < len(MODULE) / 10

    status, headers, body = await get(f"{url}/app/app/main.js", **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in headers and body.decode() == MODULE


async def test_a_known_etag_costs_a_304_and_a_changed_file_a_new_etag(site):
    url, root = site
    _, headers, _ = await get(f"{url}/app/app/main.js")
    etag = headers["ETag"]
    status, _, body = await get(f"{url}/app/app/main.js", **{"If-None-Match": etag})
    assert status == 304 and body == b""

    (root / "app" / "main.js").write_text(MODULE + "// changed\n")
    status, headers, _ = await get(f"{url}/app/app/main.js", **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag


async def test_vendored_files_are_cached_long_and_the_app_s_own_files_revalidated(site):
    url, _ = site
    assert (await get(f"{url}/app/vendor/lib.js"))[1]["Cache-Control"] == VENDOR_CACHE
    assert (await get(f"{url}/app/app/main.js"))[1]["Cache-Control"] == APP_CACHE
    assert (await get(f"{url}/"))[1]["Cache-Control"] == APP_CACHE


async def test_the_service_worker_is_served_from_the_root_scope(site):
    url, _ = site
    status, headers, _ = await get(f"{url}/sw.js")
    assert status == 200 and headers["Service-Worker-Allowed"] == "/"


@pytest.mark.parametrize(
    "path",
    [
        "/app/../secret.txt",
        "/app/%2e%2e/secret.txt",
        "/app/app/%2e%2e/%2e%2e/secret.txt",
        "/app/vendor/refresh.py",  # not a browser file type
        "/app/app/",
        "/app/nothing-here.js",
        "/manifest.webmanifest",  # not present in this root
    ],
)
async def test_nothing_outside_the_web_root_or_of_another_type_is_served(site, path):
    url, _ = site
    async with aiohttp.ClientSession() as session, session.get(url + path) as response:
        body = await response.text()
    assert response.status == 404
    assert "outside the web root" not in body


async def test_the_relay_serves_the_app_with_its_security_headers(relay):
    async with aiohttp.ClientSession() as session, session.get(f"{relay.url}/") as response:
        assert response.status == 200
        assert "<html" in (await response.text()).lower()
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["ETag"]


async def test_the_page_names_every_module_it_needs_so_none_waits_for_another(tmp_path):
    root = tmp_path / "web"
    (root / "app" / "screens").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "index.html").write_text(
        '<script type="module" src="/app/app/main.js"></script>\n'
        '<link rel="modulepreload" href="/app/lib/messenger.js">'
    )
    (root / "app" / "main.js").write_text(
        'import { h } from "./dom.js";\n'
        "import {\n  t,\n  formatTime,\n} from './i18n.js';\n"
        'const later = () => import("./screens/caseload.js");\n'
    )
    (root / "app" / "dom.js").write_text('export * from "./i18n.js";\n')
    (root / "app" / "i18n.js").write_text("export const t = 1;\n")
    (root / "app" / "screens" / "caseload.js").write_text('import "../dom.js";\n')
    (root / "lib" / "messenger.js").write_text('import "../app/dom.js";\nimport "./relay.js";\n')
    (root / "lib" / "relay.js").write_text("export const io = 1;\n")
    files = WebFiles(root)
    assert module_graph(files) == [
        "/app/app/main.js",
        "/app/lib/messenger.js",
        "/app/app/dom.js",
        "/app/app/i18n.js",
        "/app/lib/relay.js",
    ]  # the lazily loaded caseload screen stays lazy: it is not on a caregiver's path

    app = web.Application()
    add_web_routes(app, files)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        url = str(server.make_url("")).rstrip("/")
        _, headers, _ = await get(f"{url}/")
        assert "</app/lib/relay.js>; rel=modulepreload" in headers["Link"]
        (root / "lib" / "relay.js").write_text('import "./extra.js";\n')
        (root / "lib" / "extra.js").write_text("export {};\n")
        _, headers, _ = await get(f"{url}/")
        assert "</app/lib/extra.js>; rel=modulepreload" in headers["Link"]  # kept up to date
    finally:
        await server.close()


async def test_invite_links_point_where_the_client_reached_the_relay(relay, make_relay):
    admin, worker, caregiver = await relay.onboard()
    link = (await worker.create_invite("caregiver"))["link"]
    assert link.startswith(f"{relay.url}/#invite=")  # the real port, not the configured 0
    configured = await make_relay(public_url="https://steuntje.example.nl")
    admin = configured.client()
    await admin.register(await configured.invite("admin"))
    assert (await admin.create_invite("worker"))["link"].startswith(
        "https://steuntje.example.nl/#invite="
    )
    await admin.close()


async def test_the_service_worker_s_version_follows_every_app_file(site):
    url, root = site
    (root / "sw.js").write_text('const VERSION = "development";\nself.skipWaiting();\n')
    _, _, first = await get(f"{url}/sw.js")
    version = first.decode().split('"')[1]
    assert version != "development" and len(version) == 16
    assert (await get(f"{url}/sw.js"))[2] == first  # stable while nothing changes

    (root / "app" / "main.js").write_text(MODULE + "// a fix\n")
    _, _, second = await get(f"{url}/sw.js")
    assert second.decode().split('"')[1] != version  # a new worker, so a new shell cache
