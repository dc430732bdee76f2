"""The audit log's own retention: which entry bodies may be removed, decided purely.

An entry's body (its canonical bytes) is removed once it is older than the audit
log's retention period; its leaf hash, and every node above it, stays for good. The
tree therefore never changes: every root, checkpoint and proof still verifies, and a
bundle carries such entries as ``"removed": true`` with their leaf hash.

``now`` is passed in, like everywhere in this package (STYLE.md rule 3). Whether a
legal hold also covers audit entries is the caller's decision: pass only the entries
that may go.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["entries_past_retention", "retention_cutoff"]


def retention_cutoff(retention_s: int, now: int) -> int:
    """Entries with ``time < cutoff`` are past retention (``time`` in Unix seconds)."""
    if type(retention_s) is not int or retention_s <= 0:
        raise ValueError("retention_s is a positive number of seconds")
    if type(now) is not int:
        raise ValueError("now is an integer number of Unix seconds")
    return now - retention_s


def entries_past_retention(
    entries_meta: Iterable[tuple[int, int]], retention_s: int, now: int
) -> list[int]:
    """Indexes, ascending, of the ``(index, time)`` entries whose body may be removed.

    An entry exactly ``retention_s`` old is kept one more second: retention is "at
    least", so the boundary errs on the side of the record.
    """
    cutoff = retention_cutoff(retention_s, now)
    return sorted(index for index, time in entries_meta if time < cutoff)
