"""`steuntje audit bench`: the audit log at scale, through the relay's own SQLite storage.

Appends N entries (in transactions of 1,000, as a busy relay's group commits would), then
measures bytes per entry on disk, an inclusion and a consistency proof at that size, and
exporting and verifying the whole log. Progress on stderr; the figures as a dict.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from audit import consistency_proof, inclusion_proof, verify_bundle
from relay.storage.audit_store import AuditDraft, _node_reader
from relay.storage.sqlite import SQLiteStorage

BATCH = 1_000
NOW = 1_790_000_000


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _draft(i: int) -> AuditDraft:
    """A typical entry: a worker adds a colleague to a case (every common field used)."""
    return AuditDraft(
        "case.member_added",
        "worker",
        f"acc_{i % 997:022d}",
        "D" * 43,
        (("case", f"case_{i % 499:022d}"), ("account", f"acc_{i % 983:022d}")),
        reason="staff_change",
    )


async def run(entries: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="steuntje-audit-bench-") as folder:
        storage = SQLiteStorage(Path(folder) / "steuntje.sqlite3")
        await storage.open()
        try:
            await storage.installation(NOW)
            start = time.perf_counter()
            for done in range(0, entries, BATCH):
                count = min(BATCH, entries - done)
                await storage.record([_draft(done + i) for i in range(count)], NOW)
                if (done // BATCH) % 100 == 0:
                    _say(f"  appended {done + count:,}/{entries:,}")
            append_s = time.perf_counter() - start
            await storage.checkpoint()
            await storage.truncate_wal()
            size_bytes = storage.path.stat().st_size
            con = storage._reader_con()
            node = _node_reader(con)
            start = time.perf_counter()
            inclusion_proof(entries // 3, entries, node)
            inclusion_ms = (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            consistency_proof(entries // 2, entries, node)
            consistency_ms = (time.perf_counter() - start) * 1000
            _say("  exporting the whole log")
            start = time.perf_counter()
            lines = await storage.audit_bundle()
            export_s = time.perf_counter() - start
            key = await storage.audit_verifier_key()
        finally:
            await storage.close()
    _say("  verifying the export")
    start = time.perf_counter()
    report = verify_bundle(lines, key)
    verify_s = time.perf_counter() - start
    return {
        "entries": entries,
        "append_per_s": round(entries / append_s),
        "database_bytes_per_entry": round(size_bytes / entries),
        "inclusion_proof_ms": round(inclusion_ms, 3),
        "consistency_proof_ms": round(consistency_ms, 3),
        "export_s": round(export_s, 2),
        "export_mb": round(sum(len(line) for line in lines) / 1e6, 1),
        "verify_s": round(verify_s, 2),
        "verified": report.ok,
    }
