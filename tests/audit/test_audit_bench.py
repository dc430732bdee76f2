"""The micro-benchmark runs and reports every figure (its speed is not asserted here)."""

from __future__ import annotations

from audit.bench import run


def test_bench_reports_figures() -> None:
    figures = run(300)
    for name in (
        "encode_entries_per_s", "decode_entries_per_s", "append_leaves_per_s",
        "inclusion_proof_ms", "consistency_proof_ms", "bundle_verify_s",
    ):  # fmt: skip
        assert figures[name] > 0, name
    assert 300 < figures["entry_bytes"] < 1000
    assert figures["stored_bytes_per_entry"] > figures["entry_bytes"]
    assert figures["bundle_ok"] == 1.0


def test_bench_takes_its_clock_as_a_parameter() -> None:
    ticks = iter(range(10_000))
    figures = run(50, clock=lambda: float(next(ticks)))
    assert figures["append_leaves_per_s"] == 50.0  # one tick per measured step
