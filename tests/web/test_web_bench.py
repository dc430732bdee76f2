"""`steuntje bench --web` runs end to end: a relay, a Python worker, a throttled Chromium
caregiver; every figure it reports is measured (none zero, bytes within reason)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.usefixtures("browser")  # skips (or fails in CI) without Chromium, like the rest
def test_the_web_benchmark_measures_a_caregiver_on_a_slow_phone():
    result = subprocess.run(
        [sys.executable, "-m", "relay", "bench", "--web", "--runs", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 1 and figures["cpu_slowdown"] == 4
    for name in ("join_screen_ms", "joined_ms", "first_message_ms", "reopen_read_ms"):
        assert figures[name] > 0, name
    # The app and its crypto came over the wire, compressed: more than a page, far less
    # than the uncompressed files.
    assert 20_000 < figures["first_load_bytes"] < 400_000
    assert "run 1/1" in result.stderr
