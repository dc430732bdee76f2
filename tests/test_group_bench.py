"""`steuntje bench --groups` at a tiny size, run as a person runs it: the JSON it prints
has a row per group size with latency and sender CPU, and the all-at-once figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Written out here rather than imported, so a change to the published keys fails a test.
ROW_KEYS = {
    "people",
    "devices",
    "envelopes_per_message",
    "messages",
    "p50_ms",
    "p95_ms",
    "sender_cpu_ms",
    "sender_cpu_per_envelope_us",
}
CONCURRENT_KEYS = {"groups", "envelopes", "seconds", "envelopes_per_s", "relay_cpu_s"}


def run_group_bench(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steuntje_cli", "bench", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.timeout(90)
def test_group_bench_prints_a_row_per_size_and_the_all_at_once_figures() -> None:
    completed = run_group_bench("--groups", "2,3", "--messages", "4", "--json")
    assert completed.returncode == 0, completed.stderr
    assert "group of 3 people, 6 devices" in completed.stderr  # a person sees progress
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert set(result) == {"devices_per_person", "sizes", "concurrent"}
    assert result["devices_per_person"] == 2
    assert [row["people"] for row in result["sizes"]] == [2, 3]
    for row in result["sizes"]:
        assert set(row) == ROW_KEYS
        assert row["devices"] == 2 * row["people"]
        assert row["envelopes_per_message"] == row["devices"] - 1
        assert row["messages"] == 4
        assert 0 < row["p50_ms"] <= row["p95_ms"]
        assert row["sender_cpu_ms"] > 0
    concurrent = result["concurrent"]
    assert set(concurrent) == CONCURRENT_KEYS
    # Every phone sends 5 messages, each to every other device of its group.
    assert concurrent["envelopes"] == 5 * (2 * 3 + 3 * 5)
    assert concurrent["envelopes_per_s"] > 0 and concurrent["relay_cpu_s"] >= 0


def test_group_bench_refuses_a_size_beyond_a_group() -> None:
    completed = run_group_bench("--groups", "5,40")
    assert completed.returncode == 2
    assert "2..31 people" in completed.stderr
