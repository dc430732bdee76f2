"""The table of one sitting (bench/sitting.sh): medians over rounds, and ratios to Prosody and
to the durable ceiling taken round by round (each of ours against the reference run beside it),
so a machine that slows down halfway through moves both sides of a ratio alike.

    python bench/sitting_table.py WORKDIR OUT.json

WORKDIR holds r<round>-<name>.json: ours as `steuntje bench --json` prints it, the reference
relays as the anchors' harness writes it (other key names, mapped below)."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

# Our name for a figure -> the anchors' harness name for the same figure.
ANCHOR_KEYS = {
    "delivered_per_s": "delivered_msgs_per_s",
    "p99_ms": "lat_p99_ms",
    "drain_per_s": "drain_msgs_per_s",
    "lost": "lost",
    "duplicated": "dup",
    "server_cpu_s": "server_cpu_s",
}
ROWS = (  # (row label, the run's file stem, the reference runs to divide by: pairs or offline)
    ("steuntje bench (end-to-end encrypted)", "e2e", ""),
    ("steuntje bench --no-crypto", "no-crypto", ""),
    ("steuntje bench --offline --no-crypto", "offline", "-offline"),
    ("steuntje bench --rate 1000 (encrypted)", "rate1000", None),  # a latency row only
    ("Prosody (anchors)", "prosody", None),
    ("Prosody --offline (anchors)", "prosody-offline", None),
    ("durable ceiling FULL:batch (anchors)", "ceiling", None),
    ("durable ceiling --offline (anchors)", "ceiling-offline", None),
)
FIGURES = ("delivered_per_s", "p99_ms", "drain_per_s", "lost", "duplicated", "server_cpu_s")


def figures(path: Path) -> dict[str, Any] | None:
    """One run's figures under our key names, or None if the run left no result."""
    if not path.is_file() or not path.read_text().strip():
        return None
    raw = json.loads(path.read_text())
    if "delivered_msgs_per_s" in raw or "drain_msgs_per_s" in raw:
        return {ours: raw.get(theirs) for ours, theirs in ANCHOR_KEYS.items()}
    return {key: raw.get(key) for key in FIGURES}


def rounds_of(work: Path) -> list[int]:
    return sorted({int(path.name[1:].split("-")[0]) for path in work.glob("r*-*.json")})


def runs(work: Path, stem: str) -> list[dict[str, Any] | None]:
    return [figures(work / f"r{n}-{stem}.json") for n in rounds_of(work)]


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return round(statistics.median(present), 2) if present else None


def paired_ratio(ours: list, theirs: list, key: str) -> float | None:
    """The median over rounds of ours ÷ theirs, each round against its own neighbour."""
    ratios = [
        a[key] / b[key]
        for a, b in zip(ours, theirs, strict=True)
        if a and b and a.get(key) and b.get(key)
    ]
    return round(statistics.median(ratios), 2) if ratios else None


def summarise(work: Path) -> dict[str, Any]:
    load = {
        moment: (work / f"load-{moment}").read_text().split()[:3]
        for moment in ("before", "after")
        if (work / f"load-{moment}").is_file()
    }
    result: dict[str, Any] = {"rounds": len(rounds_of(work)), "load_average": load, "rows": {}}
    for label, stem, reference in ROWS:
        mine = runs(work, stem)
        if not any(mine):
            continue
        row: dict[str, Any] = {key: median([run and run[key] for run in mine]) for key in FIGURES}
        row["lost"] = sum((run or {}).get("lost") or 0 for run in mine)
        row["duplicated"] = sum((run or {}).get("duplicated") or 0 for run in mine)
        row["runs"] = sum(1 for run in mine if run)
        speed = "drain_per_s" if reference else "delivered_per_s"
        for anchor in ("prosody", "ceiling") if reference is not None else ():
            theirs = runs(work, anchor + reference)
            if any(theirs):
                row[f"vs_{anchor}"] = paired_ratio(mine, theirs, speed)
                row[f"cpu_vs_{anchor}"] = paired_ratio(mine, theirs, "server_cpu_s")
        result["rows"][label] = row
    return result


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:,.0f}" if value >= 100 else f"{value:,}"


def table(summary: dict[str, Any]) -> str:
    lines = [
        f"{summary['rounds']} rounds interleaved; medians; load average before "
        f"{' '.join(summary['load_average'].get('before', []))}, after "
        f"{' '.join(summary['load_average'].get('after', []))}",
        "",
        "| system | delivered/s | p99 ms | drain/s | lost/dup | relay CPU s "
        "| ÷ Prosody | ÷ ceiling | CPU ÷ Prosody | CPU ÷ ceiling |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, row in summary["rows"].items():
        cells = (
            row["delivered_per_s"],
            row["p99_ms"],
            row["drain_per_s"],
            f"{row['lost']}/{row['duplicated']}",
            row["server_cpu_s"],
            row.get("vs_prosody"),
            row.get("vs_ceiling"),
            row.get("cpu_vs_prosody"),
            row.get("cpu_vs_ceiling"),
        )
        lines.append(f"| {label} | " + " | ".join(_cell(cell) for cell in cells) + " |")
    lines.append("")
    lines.append("Ratios: ours ÷ the reference run of the same round, median over rounds;")
    lines.append("delivered/s for live rows, drain/s for offline rows. CPU: the relay process")
    lines.append("CPU seconds for the same 10,000 envelopes (lower is cheaper).")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    work, out = Path(argv[1]), Path(argv[2])
    summary = summarise(work)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
