"""`python -m bench.attachments` runs end to end on tiny sizes and prints its figures as JSON:
upload, download and the static ceiling for each size, their ratios, the relay's RSS while
a blob streams, and the load average of the sitting."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_attachment_benchmark_reports_every_figure_as_json():
    tiny = ["--rounds", "2", "--sizes", "20000,50000", "--rss-size", "40000"]
    result = subprocess.run(
        [sys.executable, "-m", "bench.attachments", *tiny, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["rounds"] == 2 and set(figures["sizes"]) == {"20000", "50000"}
    for row in figures["sizes"].values():
        speeds = ("upload_mb_s", "download_mb_s", "static_download_mb_s")
        assert all(row[name] > 0 for name in speeds), row
        assert row["download_vs_static"] > 0 and row["upload_vs_static"] > 0
    rss = figures["relay_rss_mb"]
    assert 0 < rss["before"] <= rss["highest_while_streaming"]
    assert [len(figures["load_average"][w]) for w in ("before", "after")] == [3, 3]
    # Interleaved: each round did every size before the next round began.
    assert "round 2/2 done" in result.stderr
