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
        [sys.executable, "-m", "steuntje_cli", "bench", "--web", "--runs", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 1 and figures["cpu_slowdown"] == 4
    names = ("join_screen_ms", "joined_ms", "first_message_ms", "reopen_read_ms", "photo_sent_ms")
    for name in names:
        assert figures[name] > 0, name
    # The app and its crypto came over the wire, compressed: more than a page, far less
    # than the uncompressed files.
    assert 20_000 < figures["first_load_bytes"] < 400_000
    assert "run 1/1" in result.stderr


@pytest.mark.usefixtures("browser")
def test_the_group_web_benchmark_measures_a_browser_member_sending():
    """`--groups --web`: one member is the web app on a slowed browser; it reports when its
    message was on screen, sent (encrypted for every other device), and read by all."""
    result = subprocess.run(
        [sys.executable, "-m", "steuntje_cli", "bench", "--groups", "3", "--web", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["cpu_slowdown"] == 4
    (row,) = figures["sizes"]
    # Two Python people with two devices each, and the browser as the third person.
    assert row["people"] == 3 and row["envelopes_per_message"] == 4
    assert 0 < row["shown_ms_p50"] <= row["sent_ms_p50"] <= row["sent_ms_p95"]
    assert row["sent_ms_p50"] <= row["everyone_ms_p50"] <= row["everyone_ms_p95"]
    assert "group of 3 people: on screen after" in result.stderr
