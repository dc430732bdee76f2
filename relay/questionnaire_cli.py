"""`steuntje questionnaire …`: signed questionnaires as evidence (docs/accountability.md).

    verify FILE --org-key VKEY      check an evidence bundle offline; one line per entry,
                                    exit 0 only if every entry verifies
    vouch FILE --data DIR [--out F] the organisation vouches for the worker devices that
                                    made the bundle's onboarding statements (on the relay's
                                    machine: it checks they are active workers' devices)

`VKEY` is the organisation's verifier key, the same string `steuntje audit checkpoint`
prints (the audit log's key signs the vouches). The commands see answers only as the
worker exported them with the caregiver's consent; nothing here logs them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from audit.errors import NoteError
from audit.nesting import too_deep
from questionnaires.evidence import REASONS, BundleError, sign_vouch, verify_bundle
from questionnaires.statements import Signed, StatementError, open_onboarding

MAX_BUNDLE_BYTES = 50_000_000


def add_commands(groups: Mapping[str, Any], relay_options: Any = None) -> None:
    """Add `questionnaire verify` and `questionnaire vouch`; `relay_options(parser,
    public_url=False)` adds the relay's own --data, --database, … (relay/cli.py)."""
    questionnaire = groups[""].add_parser(
        "questionnaire", help="signed questionnaires as evidence for a funder"
    )
    actions = questionnaire.add_subparsers(
        dest="questionnaire_command", metavar="ACTION", required=True
    )
    verify = actions.add_parser("verify", help="check an evidence bundle offline")
    verify.add_argument("bundle", type=Path, metavar="FILE")
    verify.add_argument(
        "--org-key",
        required=True,
        metavar="VKEY",
        help="the organisation's verifier key (as `steuntje audit checkpoint` prints it)",
    )
    vouch = actions.add_parser(
        "vouch", help="vouch, with the organisation's key, for the bundle's worker devices"
    )
    vouch.add_argument("bundle", type=Path, metavar="FILE")
    vouch.add_argument("--out", type=Path, default=None, metavar="FILE", help="default: FILE")
    if relay_options is not None:
        relay_options(vouch, public_url=False)
        return
    vouch.add_argument("--data", type=Path, default=None, metavar="DIR")
    vouch.add_argument("--audit-key", type=Path, default=None, metavar="FILE")
    vouch.add_argument("--database", default=None, metavar="URL")
    vouch.add_argument("--key-dir", type=Path, default=None, metavar="DIR")


def run(args: argparse.Namespace, config_of: Any = None) -> int | None:
    """The exit status for a `questionnaire` command (None for any other); `config_of(args)`
    reads the relay's options (relay/cli.py's _config)."""
    if args.command != "questionnaire":
        return None
    if args.questionnaire_command == "verify":
        return verify_file(args.bundle, args.org_key)
    if config_of is None:
        from relay.cli import _config as config_of
    return asyncio.run(vouch_file(config_of(args), args.bundle, args.out or args.bundle))


def read_bundle(path: Path) -> Any:
    data = path.read_bytes()
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError("the file is larger than 50 MB")
    text = data.decode("utf-8", errors="replace")
    if too_deep(text, 12):
        raise BundleError("the file is nested too deeply")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise BundleError("the file is not JSON") from None


def verify_file(path: Path, org_key: str) -> int:
    """Print one verdict per entry; 0 if all verify, 1 if any fails, 2 if unreadable."""
    try:
        verdicts = verify_bundle(read_bundle(path), org_key)
    except (BundleError, NoteError) as error:
        print(f"steuntje: {error}", file=sys.stderr)
        return 2
    for verdict in verdicts:
        if verdict.ok:
            print(f"OK      {verdict.participant}: signed by the caregiver's own device")
        else:
            reason = verdict.reason or ""
            print(f"FAILED  {verdict.participant}: {reason}: {REASONS[reason]}")
    failed = sum(not verdict.ok for verdict in verdicts)
    print(f"{len(verdicts) - failed} of {len(verdicts)} signed questionnaires verified")
    return 0 if verdicts and not failed else 1


async def vouch_file(config: Any, path: Path, out: Path) -> int:
    """Add the organisation's vouch for every worker device named in the bundle's onboarding
    statements that is an active worker's device of this organisation."""
    from relay.storage.audit_store import load_signing_key
    from relay.storage.factory import storage_for_config

    bundle = read_bundle(path)
    workers = _worker_devices(bundle)
    storage = storage_for_config(config)
    await storage.open()
    try:
        name = (await storage.audit_verifier_key()).split("+", 1)[0]
        signing_key = load_signing_key(config.audit_key_path)
        notes, refused = [], []
        for worker_account, device in sorted(workers):
            record = await storage.device(device)
            if (
                record is None
                or record.account_id != worker_account
                or record.role != "worker"
                or record.device_status != "active"
                or record.account_status != "active"
            ):
                refused.append(device)
                continue
            at = int(time.time())
            notes.append(sign_vouch(signing_key, name, record.org_id, worker_account, device, at))
    finally:
        await storage.close()
    existing = bundle.get("vouches") if isinstance(bundle.get("vouches"), list) else []
    bundle["vouches"] = [*existing, *notes]
    text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
    out.write_text(text, encoding="utf-8")  # noqa: ASYNC240 (one-shot CLI)
    print(f"vouched for {len(notes)} worker device(s); wrote {out}", file=sys.stderr)
    for device in refused:
        print(f"not vouched: {device[:8]}… is not an active worker's device here", file=sys.stderr)
    return 0 if not refused else 1


def _worker_devices(bundle: Any) -> set[tuple[str, str]]:
    if not isinstance(bundle, dict) or not isinstance(bundle.get("entries"), list):
        raise BundleError("not a questionnaire evidence bundle")
    found = set()
    for entry in bundle["entries"]:
        part = entry.get("onboarding") if isinstance(entry, dict) else None
        if not isinstance(part, dict):
            continue
        try:
            statement = open_onboarding(Signed(part.get("statement"), part.get("signature")))
        except StatementError:
            continue
        found.add((statement["worker_account"], statement["worker_device"]))
    return found
