"""`steuntje audit …`: an officer's or operator's tools on this machine.

    verify FILE --key VKEY [--kept FILE]   check an export offline (no relay needed)
    verify --data DIR [--kept FILE]        export this relay's log and check it
    export --data DIR --out FILE [--csv F] write the log as a verifiable bundle
    checkpoint --data DIR                  sign a checkpoint now; print it and the key
    cosign KEPT --key VKEY [--officer-key F] add the officer's cosignature to a checkpoint
    cosign FILE --key VKEY --check CKEY      check a cosigned checkpoint

`--kept FILE` holds the last checkpoint the officer verified. The new bundle must extend
it (a consistency proof): a log that was rewritten or rolled back since is caught even if
it was signed again. On success the file is updated to the newest checkpoint.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from audit import Report, verify_bundle
from audit.errors import BundleError, NoteError
from audit.nesting import too_deep
from relay.config import RelayConfig
from relay.errors import ConfigError
from relay.storage.audit_store import AuditDraft
from relay.storage.factory import storage_for_config


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _storage(config: RelayConfig) -> Any:
    if not config.database_url and not config.database_path.exists():
        raise FileNotFoundError(f"no database at {config.database_path}")
    storage = storage_for_config(config)
    await storage.open()
    return storage


async def export(
    config: RelayConfig,
    out: Path,
    csv_out: Path | None,
    now: int,
    days: tuple[date | None, date | None] = (None, None),
) -> int:
    """Write the bundle (and the Dutch CSV, of Amsterdam `days` first to last if given);
    the export is recorded in the log first. Returns the bundle's lines."""
    storage = await _storage(config)
    try:
        await storage.record([AuditDraft("audit.exported", reason="routine_review")], now)
        lines = await storage.audit_bundle()
        out.write_text("".join(lines), encoding="utf-8")  # noqa: ASYNC240 (one-shot CLI)
        if csv_out is not None:
            from relay.audit_csv import to_dutch_csv, within_days

            rows = within_days(await storage.audit_entries(None, None, None, -1, 10**9), *days)
            csv_out.write_text(to_dutch_csv(rows), encoding="utf-8", newline="")  # noqa: ASYNC240
        _say(f"wrote {len(lines):,} lines to {out}")
        return len(lines)
    finally:
        await storage.close()


def _kept(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None and path.exists() else None


def _keep(path: Path | None, report: Report) -> None:
    if path is not None and report.ok and report.latest is not None:
        path.write_text(report.latest.note, encoding="utf-8")
        _say(f"kept the newest checkpoint (size {report.latest.size}) in {path}")


def verify_file(bundle: Path, key: str | None, kept: Path | None) -> Report:
    text = bundle.read_text(encoding="utf-8")
    if key is None:
        key = _key_in_header(text.split("\n", 1)[0])
        _say(
            "warning: checked against the key inside the bundle; pass --key with the "
            "organisation's key you keep, or a forger could have swapped both"
        )
    try:
        report = verify_bundle(text, key, _kept(kept))
    except NoteError as error:  # the key itself is unusable: a small-order key, a typo
        raise ConfigError(f"--key: {error}") from None
    _keep(kept, report)
    return report


def _key_in_header(line: str) -> str:
    """The verifier key a bundle names in its first line (only when --key is not given)."""
    try:
        header = None if too_deep(line) else json.loads(line)
    except ValueError:
        header = None
    key = header.get("verifier_key") if isinstance(header, dict) else None
    if not isinstance(key, str):
        raise ConfigError("the bundle's first line names no verifier key; pass --key")
    return key


class StoredLogDamaged(Exception):
    """The relay's own stored log does not add up (an entry changed in the database)."""


async def verify_data(config: RelayConfig, kept: Path | None) -> Report:
    storage = await _storage(config)
    damage = None
    try:
        try:
            lines = await storage.audit_bundle()
        except BundleError as error:  # a stored body no longer matches its leaf hash
            damage = str(error)
        key = await storage.audit_verifier_key()
    finally:
        await storage.close()
    if damage is not None:
        raise StoredLogDamaged(damage)
    _say(f"verifying {len(lines):,} lines against {key.split('+')[0]}")
    report = verify_bundle(lines, key, _kept(kept))
    _keep(kept, report)
    return report


async def checkpoint(config: RelayConfig) -> tuple[str | None, str]:
    storage = await _storage(config)
    try:
        await storage.checkpoint()
        lines = await storage.audit_bundle()
        key = await storage.audit_verifier_key()
    finally:
        await storage.close()
    parsed = (json.loads(line) for line in lines)
    notes = [item["note"] for item in parsed if item.get("type") == "checkpoint"]
    return (notes[-1] if notes else None), key


# -- cosigning: an officer's witness signature on a checkpoint they verified -----------------


def cosign_kept(kept: Path, log_key: str, officer_key: Path, name: str, out: Path, now: int) -> str:
    """Check the kept checkpoint against the organisation's key, then add the officer's
    timestamped cosignature (c2sp.org/tlog-cosignature) and write it to `out`. Anyone can
    later show that the log the officer saw at that time extended to this checkpoint.
    Returns the officer's cosigner key (type 0x04), to give to whoever checks it."""
    from audit import cosign, cosigner_verifier_key, open_checkpoint
    from relay.storage.audit_store import load_signing_key

    note = kept.read_text(encoding="utf-8")
    checkpoint = open_checkpoint(note, log_key)  # cosigning states that this was checked
    seed = load_signing_key(officer_key)  # created (mode 0600) on first use
    out.write_text(cosign(note, seed, name, now), encoding="utf-8")
    _say(f"cosigned the checkpoint of size {checkpoint.size:,} as {name}; wrote {out}")
    return cosigner_verifier_key(name, seed)


def check_cosigned(path: Path, log_key: str, cosigner_key: str) -> tuple[int, int]:
    """(tree size, cosignature time) of a cosigned checkpoint; raises NoteError if either
    signature does not hold."""
    from audit import open_checkpoint, verify_cosignature

    note = path.read_text(encoding="utf-8")
    return open_checkpoint(note, log_key).size, verify_cosignature(note, cosigner_key)
