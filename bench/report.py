"""Turning `steuntje bench` runs into figures: percentiles, medians over runs, the JSON line
and the table a person reads. No I/O except the progress lines on stderr, no clock of its own.

The metric definitions mirror the anchors' harness (the optional reference relays beside the
checkout, ../shared/anchors/harness/bench.py) so that our figures and theirs can be put side by
side; docs/performance.md lists them and says how to run the anchors.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

# Keys every result carries, whatever the mode. The mode adds its own (MODE_KEYS).
REQUIRED_KEYS = (
    "accepted_per_s",
    "delivered_per_s",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "lost",
    "duplicated",
    "server_rss_mb",
    "server_cpu_s",
)
OFFLINE_KEYS = ("drain_per_s",)
CONNECTION_KEYS = ("connections", "rss_per_connection_kib")

MIB = 1024 * 1024

# Correctness counters are added up over runs, not medianed: one bad run must show.
SUMMED_KEYS = frozenset({"lost", "duplicated"})

# key -> (label in the table, number of decimals)
LABELS: dict[str, tuple[str, int]] = {
    "accepted_per_s": ("accepted envelopes/s", 0),
    "delivered_per_s": ("delivered envelopes/s", 0),
    "drain_per_s": ("offline drain envelopes/s", 0),
    "p50_ms": ("latency p50 (ms)", 1),
    "p95_ms": ("latency p95 (ms)", 1),
    "p99_ms": ("latency p99 (ms)", 1),
    "lost": ("lost (acknowledged, never received)", 0),
    "duplicated": ("duplicated (received twice)", 0),
    "server_rss_mb": ("server peak RSS (MiB)", 1),
    "server_cpu_s": ("server CPU (s)", 2),
    "connections": ("idle connections held", 0),
    "rss_per_connection_kib": ("server RSS per idle connection (KiB)", 1),
}


def result_keys(offline: bool, connections: int) -> tuple[str, ...]:
    """The top-level keys of a result for this mode (without `runs`)."""
    keys = REQUIRED_KEYS
    if offline:
        keys += OFFLINE_KEYS
    if connections:
        keys += CONNECTION_KEYS
    return keys


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile, the same rounding as the anchors' harness."""
    if not sorted_values:
        return None
    rank = round(pct / 100.0 * (len(sorted_values) - 1))
    return sorted_values[min(len(sorted_values) - 1, max(0, rank))]


def rate(count: int, seconds: float) -> float | None:
    """Events per second, or None when nothing happened (no window to divide by)."""
    return round(count / seconds, 1) if count and seconds > 0 else None


def _ms(value_ns: float | None) -> float | None:
    return None if value_ns is None else round(value_ns / 1e6, 2)


def run_figures(
    *,
    accepted: set[tuple[int, int]],
    refused: int,
    seen: set[tuple[int, int]],
    duplicated: int,
    latencies_ns: list[int],
    start_ns: int,
    last_accept_ns: int,
    last_receive_ns: int,
) -> dict[str, Any]:
    """One run's figures, defined as in the anchors' harness: rates run from the first send
    to the last acknowledgement (accepted) or the last first-time arrival (delivered)."""
    latencies = sorted(latencies_ns)
    end_ns = max(last_accept_ns, last_receive_ns)
    return {
        "accepted_per_s": rate(len(accepted), max(0, last_accept_ns - start_ns) / 1e9),
        "delivered_per_s": rate(len(seen), max(0, last_receive_ns - start_ns) / 1e9),
        "p50_ms": _ms(percentile(latencies, 50)),
        "p95_ms": _ms(percentile(latencies, 95)),
        "p99_ms": _ms(percentile(latencies, 99)),
        "lost": len(accepted - seen),  # acknowledged by the relay, never received
        "duplicated": duplicated,
        "accepted": len(accepted),
        "refused": refused,
        "delivered": len(seen),
        "seconds": round(max(0, end_ns - start_ns) / 1e9, 3),
    }


def resource_figures(
    server_cpu_before: float | None,
    server_cpu_after: float | None,
    server_peak_bytes: int | None,
    loadgen_cpu_s: float,
) -> dict[str, Any]:
    """Server CPU over a window and its peak RSS; None where the server cannot be seen."""
    cpu = None
    if server_cpu_before is not None and server_cpu_after is not None:
        cpu = round(server_cpu_after - server_cpu_before, 2)
    return {
        "server_rss_mb": None if server_peak_bytes is None else round(server_peak_bytes / MIB, 1),
        "server_cpu_s": cpu,
        "loadgen_cpu_s": round(loadgen_cpu_s, 2),
    }


def summarise(runs: list[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """Medians over runs for every key (sums for lost/duplicated), plus the runs themselves."""
    summary: dict[str, Any] = {}
    for key in keys:
        values = [run[key] for run in runs if run.get(key) is not None]
        if not values:
            summary[key] = None
        elif key in SUMMED_KEYS:
            summary[key] = sum(values)
        else:
            median = statistics.median(values)
            summary[key] = round(median, 2) if isinstance(median, float) else median
    summary["runs"] = runs
    return summary


def json_line(summary: dict[str, Any]) -> str:
    """The one JSON object `--json` prints as its last stdout line."""
    return json.dumps(summary, separators=(", ", ": "))


def _cell(value: Any, decimals: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return f"{value:,.{decimals}f}"
    return str(value)


def table(summary: dict[str, Any], keys: Sequence[str], heading: str) -> str:
    """A plain-text table: one row per metric, the median first, then each run."""
    runs = summary["runs"]
    header = ["metric", "median" if len(runs) > 1 else "value"]
    if len(runs) > 1:
        header += [f"run {number}" for number in range(1, len(runs) + 1)]
    rows = [header]
    for key in keys:
        label, decimals = LABELS[key]
        if key in SUMMED_KEYS and len(runs) > 1:
            label += ", all runs"
        row = [label, _cell(summary[key], decimals)]
        if len(runs) > 1:
            row += [_cell(run.get(key), decimals) for run in runs]
        rows.append(row)
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [heading, ""]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


class Progress:
    """Prints `label: done/total` to stderr at every tenth of the way, so a person sees the
    benchmark is alive without a line per envelope."""

    def __init__(
        self,
        label: str,
        total: int,
        clock_ns: Callable[[], int],
        stream: TextIO | None = None,
        steps: int = 10,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._clock_ns = clock_ns
        self._started_ns = clock_ns()
        self._stream = stream or sys.stderr
        self._step = max(1, total // steps)
        self._next = min(self._step, total)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.done < self._next:
            return
        if self.done >= self.total:
            self._next = self.total + 1  # say "all done" once
        else:
            self._next = min(self.total, (self.done // self._step + 1) * self._step)
        seconds = (self._clock_ns() - self._started_ns) / 1e9
        print(
            f"  {self.label}: {self.done:,}/{self.total:,} ({seconds:.1f} s)",
            file=self._stream,
            flush=True,
        )


def say(message: str) -> None:
    """A progress line for the person watching (stderr, so stdout stays machine-readable)."""
    print(message, file=sys.stderr, flush=True)


def heading(args: argparse.Namespace) -> str:
    """The first line of the table: the workload, so a pasted table explains itself."""
    mode = "offline recipients" if args.offline else "online recipients"
    pace = f", offered {args.rate:g}/s" if args.rate else ""
    target = args.url or f"a fresh relay (SQLite synchronous={args.sqlite_sync})"
    crypto = "end-to-end encrypted" if args.crypto else "not encrypted (--no-crypto)"
    return (
        f"steuntje bench: {args.pairs} pairs x {args.messages} envelopes of {args.size} bytes "
        f"({crypto}), {args.inflight} in flight{pace}, {mode}, {args.runs} run(s) on {target}"
    )
