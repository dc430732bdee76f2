"""The micro-benchmark runs and reports every figure (its speed is not asserted here)."""

from __future__ import annotations

from bench.crypto_bench import run


def test_bench_reports_figures() -> None:
    figures = run(0.06)
    for name in ("ratchet_encrypt_decrypt_per_s", "ratchet_ping_pong_per_s", "x3dh_setups_per_s"):
        assert figures[name] > 0
    assert figures["message_bytes"] == 200
