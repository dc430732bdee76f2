"""Headless Debian Chromium driven by Playwright, for the web app's tests.

Playwright never downloads a browser here: it starts /usr/bin/chromium (override with
STEUNTJE_CHROMIUM). Without it the tests are skipped on a developer's machine and fail in
CI (CI=true), where `.ci/run` installs it. Every page's requests are recorded so a test can
assert that nothing went to a host other than the relay.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("STEUNTJE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

# Without the background-networking flags Chromium keeps calling Google's hosts, which
# this machine's closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """A fresh headless Chromium per test; closed (with every context) at the end."""
    _require_chromium()
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        if os.environ.get("CI") == "true":
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Folder for this test's screenshots: test-artifacts/web/<test name>/."""
    folder = ARTIFACTS / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
