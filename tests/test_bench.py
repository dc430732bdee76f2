"""`steuntje bench` end to end: it starts its own relay as a subprocess, so these tests run
the real command the way a person does and read its one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Written out here rather than imported, so a change to the published keys fails a test.
REQUIRED_KEYS = {
    "accepted_per_s",
    "delivered_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "lost",
    "duplicated",
    "server_rss_mb",
    "server_cpu_s",
}
PAIRS, MESSAGES = 2, 20


def run_bench(*options: str) -> dict:
    command = (sys.executable, "-m", "steuntje_cli", "bench", "--pairs", str(PAIRS))
    completed = subprocess.run(
        [*command, "--messages", str(MESSAGES), "--json", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "pairs registered" in completed.stderr  # a person sees progress
    last_line = completed.stdout.strip().splitlines()[-1]
    return json.loads(last_line)


def assert_complete(result: dict) -> None:
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    [run] = result["runs"]
    assert run["accepted"] == run["delivered"] == PAIRS * MESSAGES
    assert run["refused"] == 0
    assert result["delivered_per_s"] == run["delivered_per_s"] > 0
    assert result["accepted_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert result["server_rss_mb"] > 0
    assert result["server_cpu_s"] >= 0


@pytest.mark.timeout(30)
def test_online_bench_prints_one_json_object_with_the_required_keys() -> None:
    result = run_bench()
    assert set(result) == REQUIRED_KEYS | {"runs", "crypto"}
    assert result["crypto"] is True  # devices encrypt, as real ones do
    assert_complete(result)


@pytest.mark.timeout(30)
def test_no_crypto_measures_the_relay_alone_and_micro_adds_crypto_figures() -> None:
    result = run_bench("--no-crypto", "--crypto-micro", "0.3")
    assert result["crypto"] is False
    assert_complete(result)
    micro = result["crypto_micro"]
    assert micro["ratchet_encrypt_decrypt_per_s"] > 0 and micro["x3dh_setups_per_s"] > 0


@pytest.mark.timeout(30)
def test_offline_bench_adds_the_drain_rate() -> None:
    result = run_bench("--offline")
    assert set(result) == REQUIRED_KEYS | {"drain_per_s", "runs", "crypto"}
    assert_complete(result)
    assert result["drain_per_s"] > 0
