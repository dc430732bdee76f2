"""Proof of the audit log in the officer's browser (issue 19 item 3), in Chromium against the
real relay: the officer's device pins the organisation's log key when the officer joins and
keeps the last checkpoint it verified; the log screen then says "Gecontroleerd ✓" on the real
log, and in red (role=alert) what failed after an entry's bytes are edited in the relay's
SQLite file, after an entry is deleted, after the relay signs with another key, and after the
relay is reopened on a copy of its database from before (against the checkpoint the device
kept). The offline verify page checks an export bundle with the pinned key, with the network
off. axe-core 0 violations on the badge (green and red) and on the verify page."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from servers import free_port
from test_app_support import Watch, check_screen, clear_screenshots, expect, new_phone

from audit import ENTRY_PREFIX
from relay.app import CONTEXT, create_app
from relay.clock import FakeClock
from relay.config import RelayConfig
from relay.server import create_invite
from steuntje_client import DeviceKey, RelayClient

pytestmark = pytest.mark.timeout(180)
DESK = {"width": 1280, "height": 800}


class Relay:
    """One relay on a fixed port, so the browser's origin (and its IndexedDB) stays the
    same across restarts; `stop` then `start` reopens the same data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: TestServer | None = None
        self.clients: list[RelayClient] = []
        self.ctx = None

    @property
    def database(self) -> Path:
        return self.data_dir / "steuntje.sqlite3"

    @property
    def key_file(self) -> Path:
        return self.data_dir / "audit-log.key"

    async def start(self) -> None:
        config = RelayConfig(host="127.0.0.1", port=self.port, data_dir=self.data_dir)
        app = create_app(config, clock=FakeClock())
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        self.ctx = app[CONTEXT]

    async def join(self, link: str) -> RelayClient:
        client = RelayClient(self.url, DeviceKey.generate())
        self.clients.append(client)
        await client.register(link)
        return client

    async def admin(self) -> RelayClient:
        """An admin (a Python client) to invite the officer and grow the log."""
        ctx = self.ctx
        return await self.join(
            await create_invite(ctx.storage, ctx.org_id, "admin", ctx.now(), 3600, self.url)
        )

    async def stop(self) -> None:
        for client in self.clients:
            await client.close()
        self.clients.clear()
        if self.server is not None:
            await self.server.close()
            self.server = None


def snapshot(database: Path, copy: Path) -> None:
    """A consistent copy of the running relay's database (SQLite's backup API)."""
    source, target = sqlite3.connect(database), sqlite3.connect(copy)
    with target:
        source.backup(target)
    source.close()
    target.close()


def edit(database: Path, sql: str, *args) -> None:
    con = sqlite3.connect(database)
    with con:
        con.execute(sql, args)
    con.close()


def row(database: Path, index: int) -> tuple:
    con = sqlite3.connect(database)
    found = con.execute("SELECT * FROM audit_entries WHERE idx = ?", (index,)).fetchone()
    con.close()
    return found


def later(body: bytes) -> bytes:
    """The same entry one second later: still valid, so the relay shows it as it now is."""
    time = json.loads(body[len(ENTRY_PREFIX) :])["time"]
    return body.replace(b'"time":%d' % time, b'"time":%d' % (time + 1))


async def search(page, artifacts: Path | None = None, name: str = "") -> object:
    """Search the whole log (no filters: a page with a gap is an entry missing)."""
    await page.get_by_role("button", name="Zoek", exact=True).click()
    badge = page.locator(".audit-badge")
    await expect(badge).to_have_count(1)
    await expect(badge).not_to_contain_text("wordt gecontroleerd")
    if artifacts is not None:
        await check_screen(page, artifacts, name)
    return badge


async def red(page, words: str, artifacts: Path | None = None, name: str = "") -> None:
    badge = await search(page, artifacts, name)
    await expect(badge).to_have_attribute("role", "alert")
    await expect(badge).to_contain_text(words)
    await expect(badge).not_to_contain_text("Gecontroleerd")


async def green(page, key_id: str, artifacts: Path | None = None, name: str = "") -> None:
    badge = await search(page, artifacts, name)
    shown = await badge.evaluate("(b) => b.outerHTML")
    assert 'data-proof="ok"' in shown, shown  # the failure's technical detail, if any
    await expect(badge).to_contain_text("Gecontroleerd ✓ (tot en met item ")
    await expect(badge).to_contain_text(f"ondertekend met sleutel {key_id}")


async def restart(relay: Relay, page, between) -> None:
    """Stop the relay with the app's page away (an open socket would hold the shutdown up),
    run `between`, start it again and reopen the app, connected."""
    await page.goto("about:blank")
    await relay.stop()
    between()
    await relay.start()
    await page.goto(f"{relay.url}/")
    await expect(page.get_by_role("heading", name="Logboek", exact=True)).to_be_visible()
    await expect(page.locator("#connection")).to_be_hidden()


def tampered_bundle(lines: list[str], index: int) -> str:
    """The bundle with one entry's body changed and its leaf hash left as it was."""
    out = []
    for line in lines:
        item = json.loads(line)
        if item.get("type") == "entry" and item["index"] == index:
            item["body"] = base64.b64encode(later(base64.b64decode(item["body"]))).decode()
            line = json.dumps(item, sort_keys=True, separators=(",", ":")) + "\n"
        out.append(line)
    return "".join(out)


async def verify_page_offline(context, relay: Relay, key: str, bundle: Path, bad: Path, artifacts):
    """The verify page: the pinned key filled in, a bundle picked, green; offline after the
    first load (the service worker serves it), a changed bundle red, the real one green."""
    page = await context.new_page()
    await page.goto(f"{relay.url}/app/verify.html")
    await expect(page.get_by_role("heading", name="Logboek controleren", level=1)).to_be_visible()
    await expect(page.get_by_label("Sleutel van het logboek")).to_have_value(key)
    await page.get_by_label("Bewijsbestand (.jsonl)").set_input_files(bundle)
    await page.get_by_role("button", name="Controleer").click()
    await expect(page.locator(".audit-badge")).to_contain_text("Gecontroleerd ✓")
    # Kept by the service worker once it has the page's files.
    await page.wait_for_function(
        "async () => Boolean(await caches.match('/app/app/verify.js'))"
        " && Boolean(await caches.match('/app/crypto/audit-proof.js'))"
        " && Boolean(await caches.match('/app/verify.html'))",
        polling=100,
    )
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("heading", name="Logboek controleren", level=1)).to_be_visible()
    await page.get_by_label("Bewijsbestand (.jsonl)").set_input_files(bad)
    await page.get_by_role("button", name="Controleer").click()
    badge = page.locator(".audit-badge")
    await expect(badge).to_have_attribute("role", "alert")
    await expect(badge).to_contain_text("Item 3 is veranderd.")
    await check_screen(page, artifacts, "03-verify-page-red-offline")
    await page.get_by_label("Bewijsbestand (.jsonl)").set_input_files(bundle)
    await page.get_by_role("button", name="Controleer").click()
    await expect(badge).to_contain_text("Gecontroleerd ✓")
    await context.set_offline(False)
    await page.close()


async def test_the_officers_browser_checks_the_log_it_shows(browser, artifacts, tmp_path):
    clear_screenshots(artifacts)
    relay = Relay(tmp_path / "relay")
    await relay.start()
    context = None
    try:
        admin = await relay.admin()
        key = await relay.ctx.storage.audit_verifier_key()
        key_id = key.split("+")[1]
        watch = Watch(relay.url)
        context, page = await new_phone(browser, watch, DESK)
        await page.goto((await admin.create_invite("officer"))["link"])
        await page.get_by_role("button", name="Doe mee").click()
        await expect(page.get_by_role("heading", name="Logboek", exact=True)).to_be_visible()
        before = tmp_path / "before.sqlite3"
        snapshot(relay.database, before)  # the officer is in it; what follows is not
        for _ in range(4):  # the log grows past the copy
            await admin.create_invite("worker")

        await agrees_with_the_shared_vectors(page)

        # The real log: green, with the pinned key's ID; the device keeps the checkpoint.
        await green(page, key_id, artifacts, "01-green")
        # The person timeline is checked the same way (a filtered list: each entry shown).
        await page.get_by_role("link", name="Per persoon").click()
        await page.get_by_label("Nummer van de persoon of het dossier").fill(admin.account_id)
        await green(page, key_id)
        await page.get_by_role("link", name="Logboek", exact=True).click()

        # An entry's bytes edited in the database: the leaf computed in the browser from the
        # entry shown is not the one the signed tree holds.
        original = row(relay.database, 3)
        edit(relay.database, "UPDATE audit_entries SET body = ? WHERE idx = 3", later(original[3]))
        await red(page, "Item 3 is veranderd.", artifacts, "02-red-changed")
        edit(relay.database, "UPDATE audit_entries SET body = ? WHERE idx = 3", original[3])

        # An entry deleted: the unfiltered page has a gap.
        original = row(relay.database, 4)
        edit(relay.database, "DELETE FROM audit_entries WHERE idx = 4")
        await red(page, "Er ontbreekt een item (item 4).")
        edit(relay.database, "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?)", *original)
        await green(page, key_id)

        # An export of the real log, and one with entry 3 changed, for the verify page.
        lines = await relay.ctx.storage.audit_bundle()
        bundle, bad = tmp_path / "log.jsonl", tmp_path / "changed.jsonl"
        bundle.write_text("".join(lines), encoding="utf-8")
        bad.write_text(tampered_bundle(lines, 3), encoding="utf-8")
        await verify_page_offline(context, relay, key, bundle, bad, artifacts)

        # The relay now signs with another key (its key file replaced).
        real_key = relay.key_file.read_bytes()
        await restart(relay, page, relay.key_file.unlink)  # a new key is made on start
        await red(page, "Ondertekend met een andere sleutel")
        # Its export names the new key; the screen gives the pinned one and says so.
        await page.get_by_role("button", name="Download logboek").click()
        ready = page.get_by_role("heading", name="Het logboek is klaar")
        await expect(ready).to_be_focused()
        await expect(page.locator("#verifier-key")).to_have_text(key)
        export = page.locator("section.card").filter(has=ready)
        await expect(export.get_by_role("alert")).to_contain_text("andere sleutel")

        # Reopened on the copy from before, with the real key: smaller than the checkpoint
        # this device kept.
        def reopen_before() -> None:
            relay.key_file.write_bytes(real_key)
            for stale in relay.data_dir.glob("steuntje.sqlite3*"):
                stale.unlink()
            shutil.copyfile(before, relay.database)

        await restart(relay, page, reopen_before)
        await red(page, "Het logboek is teruggezet ten opzichte van wat dit apparaat eerder zag.")
        watch.check()
    finally:
        if context is not None:  # first: an open page would hold the relay's shutdown up
            await context.close()
        await relay.stop()


VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "audit"
RUN_VECTORS = """async ([tree, checkpoints, entries, bundles]) => {
  const p = await import('/app/crypto/audit-proof.js');
  const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (b) => parseInt(b, 16));
  const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  const outcome = (fn) => {
    try {
      fn();
      return 'ok';
    } catch (error) {
      return error.name === 'AuditProofError' ? error.kind : `bug: ${error}`;
    }
  };
  const results = {};
  for (const c of entries.tests.filter((c) => c.want_err === null)) {
    const encoded = p.canonicalEntry(c.entry);
    const same = hex(encoded) === c.encoding && hex(p.leafHash(encoded)) === c.leaf_hash;
    results[`entries/${c.name}`] = same ? 'ok' : 'differs';
  }
  const leaves = tree.leaf_hashes.map(bytes);
  for (const c of tree.tests) {
    const proof = c.proof ? c.proof.map(bytes) : null;
    let got;
    if (c.name.startsWith('root-')) {
      got = hex(p.rootOf(leaves.slice(0, c.size))) === c.root ? 'ok' : 'differs';
    } else if (c.name.startsWith('inclusion-')) {
      const leaf = bytes(c.leaf_hash);
      got = outcome(() => p.verifyInclusion(leaf, c.index, c.size, proof, bytes(c.root)));
    } else {
      const [root1, root2] = [bytes(c.root1), bytes(c.root2)];
      got = outcome(() => p.verifyConsistency(c.size1, c.size2, proof, root1, root2));
    }
    results[`tree/${c.name}`] = got;
  }
  const key = p.parseVerifierKey(checkpoints.verifier_key);
  for (const c of checkpoints.tests.filter((c) => c.kind !== 'cosignature')) {
    results[`checkpoints/${c.name}`] = outcome(() => {
      const opened = p.openCheckpoint(c.note, key);
      const root = hex(opened.root);
      if (opened.size !== c.expected.size || root !== c.expected.root) throw new Error('wrong');
    });
  }
  for (const c of bundles.tests) {
    results[`bundles/${c.name}`] = outcome(() => {
      const lines = c.bundle.join('');
      p.verifyBundle(lines, p.parseVerifierKey(c.verifier_key), c.last_known_checkpoint);
    });
  }
  return results;
}"""


async def agrees_with_the_shared_vectors(page) -> None:
    """crypto/audit-proof.js against tests/vectors/audit/: every canonical entry and leaf,
    root, inclusion and consistency case, every checkpoint (cosignatures aside: the browser
    trusts only the log key, so an officer's cosignature is ignored like any other), and every
    bundle, each failure of the kind its Python code means."""
    data = [
        json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("tree", "checkpoints", "entries", "bundles")
    ]
    results = await page.evaluate(RUN_VECTORS, data)
    tree, checkpoints, entries, bundles = data
    want = {}
    for c in entries["tests"]:
        if c["want_err"] is None:
            want[f"entries/{c['name']}"] = "ok"
    for c in tree["tests"]:
        bad = "changed" if c["name"].startswith("inclusion") else "rollback"
        if c.get("size1") == 0:
            bad = "malformed"  # a consistency proof from the empty tree proves nothing
        want[f"tree/{c['name']}"] = "ok" if c["want_err"] is None else bad
    for c in checkpoints["tests"]:
        if c.get("kind") != "cosignature":
            want[f"checkpoints/{c['name']}"] = "ok" if c["want_err"] is None else "refused"
    kinds = {
        "leaf-hash": "changed",
        "root": "changed",
        "index": "missing",
        "rollback": "rollback",
        "rewritten": "rollback",
        "consistency": "rollback",
        "fork": "rollback",
        "header": "other_key",
        "malformed": "malformed",
        "unsigned": "unsigned",
        "checkpoint": "bad_signature",
    }
    for c in bundles["tests"]:
        wanted = c["want_err"]
        want[f"bundles/{c['name']}"] = "ok" if wanted is None else kinds[wanted["code"]]
    got = {
        name: (
            "refused"
            if name.startswith("checkpoints/")
            and value not in ("ok",)
            and not value.startswith("bug")
            else value
        )
        for name, value in results.items()
    }
    assert {k: v for k, v in got.items() if want.get(k) != v} == {}
    assert set(got) == set(want) and len(got) > 300
