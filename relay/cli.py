"""`steuntje`: the command line. Thin: parses, builds a config, calls one function."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from relay import __version__
from relay.config import DAY, RelayConfig
from relay.errors import ConfigError
from relay.storage.base import ROLES

DESCRIPTION = """\
Steuntje: an end-to-end encrypted messaging relay for social-care casework.
The relay stores and forwards opaque envelopes; it never sees message content."""


Commands = argparse._SubParsersAction  # the argparse type add_subparsers() returns


class Extension(Protocol):
    """Commands another package adds to `steuntje` (bench/ adds `bench` and `retention bench`).
    The relay never imports them: the composition in steuntje_cli.py hands them in, so the
    dependency points one way (bench -> relay, never relay -> bench)."""

    def add_commands(self, groups: Mapping[str, Commands]) -> None:
        """Add parsers to the top level (key "") or a command's actions ("retention")."""

    def run(self, args: argparse.Namespace) -> int | None:
        """The exit status if `args` names one of this extension's commands, else None."""


def _add_relay_options(parser: argparse.ArgumentParser, public_url: bool = True) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the SQLite database (default ./data, or $STEUNTJE_DATA)",
    )
    parser.add_argument(
        "--key-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder for the epoch keys that seal envelopes at rest; keep it out of database "
        "backups so crypto-shredding reaches them (default DATA/epoch-keys, or $STEUNTJE_KEY_DIR)",
    )
    parser.add_argument(
        "--audit-key",
        type=Path,
        default=None,
        metavar="FILE",
        help="the audit log's signing key (created on first use); back it up apart from the "
        "database (default DATA/audit-log.key, or $STEUNTJE_AUDIT_KEY)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="PostgreSQL shared by several relay nodes, e.g. postgresql://steuntje@db/steuntje "
        "(default: the embedded SQLite file in DATA, or $STEUNTJE_DATABASE; docs/scaling.md)",
    )
    if not public_url:
        return
    parser.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="address people use to reach this relay, used in invite links (default "
        "$STEUNTJE_PUBLIC_URL; else `serve` uses http://HOST:PORT and records it in "
        "DATA/public-url, where `admin invite` reads it)",
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def build_parser(extensions: Sequence[Extension] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steuntje",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"steuntje {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the relay",
        description="Run the relay until SIGTERM or Ctrl-C. On the first start of an empty "
        "database it prints a one-time admin invite.",
    )
    serve.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        help="port to listen on; 0 picks a free one (default 8080)",
    )
    _add_relay_options(serve)
    serve.add_argument(
        "--allowed-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="extra browser origin allowed to connect (repeatable); "
        "by default only the relay's own origin",
    )
    serve.add_argument(
        "--sqlite-sync",
        choices=("full", "normal"),
        default=None,
        help="full (default): an acknowledged envelope survives power loss; "
        "normal: it survives a relay crash but maybe not power loss",
    )
    serve.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="Redis for fan-out between relay nodes, e.g. redis://redis:6379/0 "
        "(default: none, one node; or $STEUNTJE_REDIS)",
    )
    serve.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))

    admin = commands.add_parser("admin", help="administration on this machine's database")
    admin_commands = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    invite = admin_commands.add_parser(
        "invite",
        help="print a one-time invite link",
        description="Create a one-time invite for a new account and print its link. Works "
        "while the relay runs. Only a hash of the token is stored.",
    )
    invite.add_argument("--role", required=True, choices=ROLES, help="role of the new account")
    invite.add_argument(
        "--expires-in",
        type=float,
        default=24.0,
        metavar="HOURS",
        help="hours until the invite stops working (default 24)",
    )
    _add_relay_options(invite)

    retention = commands.add_parser("retention", help="delete what has outlived its lifetime")
    retention_commands = retention.add_subparsers(
        dest="retention_command", metavar="ACTION", required=True
    )
    purge = retention_commands.add_parser(
        "purge",
        help="run the expiry purge once and print counts",
        description="Delete expired envelopes, their dedup ids and spent invites now, in "
        "small batches, then truncate the write-ahead log so no copy remains. The relay "
        "does this every hour by itself; this runs it once (also while the relay runs).",
    )
    purge.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    _add_relay_options(purge, public_url=False)
    retention_report = retention_commands.add_parser(
        "report",
        help="print what is kept how long and why (GDPR Art. 30)",
        description="Print, for everything the relay stores, how long it is kept, why, the "
        "suggested legal basis, what deletes it and the worst-case delay, from this relay's "
        "configuration. Paste it into the record of processing.",
    )
    retention_report.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    _add_relay_options(retention_report, public_url=False)  # the backend changes the report

    audit = commands.add_parser("audit", help="the tamper-evident audit log (officers)")
    audit_commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_commands.add_parser(
        "verify",
        help="check an export (or this relay's log) has not been altered",
        description="Recompute every entry's hash, every checkpoint's root and signature, "
        "and the consistency proofs between them. Exits 0 when everything checks out, 1 "
        "naming the first bad line or entry. Needs no relay: give it the export and the "
        "organisation's key.",
    )
    verify.add_argument("bundle", nargs="?", type=Path, help="an export (JSON Lines)")
    verify.add_argument(
        "--key",
        default=None,
        help="the organisation's audit key (steuntje audit checkpoint prints it)",
    )
    verify.add_argument(
        "--kept",
        type=Path,
        default=None,
        metavar="FILE",
        help="the last checkpoint you verified; the log must extend it "
        "(catches a rewritten or rolled-back log); updated on success",
    )
    _add_relay_options(verify, public_url=False)
    audit_export = audit_commands.add_parser(
        "export",
        help="write the log as a verifiable bundle (and CSV)",
        description="Write the whole log, with checkpoints and proofs, as JSON Lines. The "
        "export is itself recorded in the log first.",
    )
    audit_export.add_argument("--out", type=Path, required=True, help="bundle file to write")
    audit_export.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="also a CSV for spreadsheets (';', UTF-8 with BOM, Dutch headers and words beside"
        " the codes, Europe/Amsterdam times); the bundle stays in UTC",
    )
    for option, dest, what in (("--from", "from_day", "first"), ("--to", "to_day", "last")):
        audit_export.add_argument(
            option,
            dest=dest,
            type=_day,
            default=None,
            metavar="YYYY-MM-DD",
            help=f"the CSV's {what} day, midnight to midnight in Amsterdam (the bundle is whole)",
        )
    _add_relay_options(audit_export, public_url=False)
    audit_bench = audit_commands.add_parser(
        "bench",
        help="measure the audit log at scale (append, proofs, export, verify)",
        description="Append N entries to a temporary database through the relay's storage, "
        "then time proofs, an export and its verification. Prints a table, or JSON.",
    )
    audit_bench.add_argument("--entries", type=int, default=1_000_000)
    audit_bench.add_argument("--json", action="store_true")
    audit_checkpoint = audit_commands.add_parser(
        "checkpoint", help="sign a checkpoint now and print it with the organisation's key"
    )
    _add_relay_options(audit_checkpoint, public_url=False)
    audit_cosign = audit_commands.add_parser(
        "cosign",
        help="add your witness signature to a checkpoint you verified (officers)",
        description="After `steuntje audit verify --kept FILE`, sign the kept checkpoint "
        "with your own officer key: a timestamped cosignature (c2sp.org/tlog-cosignature). "
        "Whoever holds the cosigned file can later prove the log had reached that size by "
        "then; a log rewritten afterwards no longer extends it. With --check, verify a "
        "cosigned file instead.",
    )
    audit_cosign.add_argument("kept", type=Path, help="the checkpoint file (from --kept)")
    audit_cosign.add_argument(
        "--key", required=True, help="the organisation's audit key (checks the checkpoint)"
    )
    audit_cosign.add_argument(
        "--officer-key",
        type=Path,
        default=Path("officer-cosign.key"),
        metavar="FILE",
        help="your cosigning key; created (mode 0600) if missing (default: %(default)s)",
    )
    audit_cosign.add_argument(
        "--name", default="officer", help="your key's name in the signature (default: officer)"
    )
    audit_cosign.add_argument(
        "--out", type=Path, default=None, help="where to write it (default: KEPT.cosigned)"
    )
    audit_cosign.add_argument(
        "--check",
        default=None,
        metavar="COSIGNER_KEY",
        help="verify KEPT's cosignature by this key (printed when it was made) instead",
    )

    from relay import reach_cli

    reach_cli.add_commands(commands, _add_relay_options)  # steuntje report reach / verify
    from relay import questionnaire_cli

    # steuntje questionnaire verify / vouch (docs/accountability.md)
    questionnaire_cli.add_commands({"": commands}, _add_relay_options)
    for extension in extensions:
        extension.add_commands({"": commands, "retention": retention_commands})
    return parser


def _config(args: argparse.Namespace) -> RelayConfig:
    config = RelayConfig().with_env()
    changes: dict[str, object] = {}
    for option, name in (
        ("key_dir", "key_dir"),
        ("audit_key", "audit_key"),
        ("host", "host"),
        ("port", "port"),
        ("data", "data_dir"),
        ("public_url", "public_url"),
        ("sqlite_sync", "sqlite_synchronous"),
        ("database", "database_url"),
        ("redis", "redis_url"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            changes[name] = value
    if getattr(args, "allowed_origin", None):
        changes["allowed_origins"] = tuple(args.allowed_origin)
    return replace(config, **changes).validated()


def _recorded_public_url(config: RelayConfig) -> RelayConfig:
    """For invite links: the address the relay recorded at its start (relay/public_url.py).
    Without a usable record, http://HOST:PORT as before, and stderr says why."""
    from relay.public_url import DamagedRecord, read_public_url, record_path

    try:
        recorded = read_public_url(config)
    except DamagedRecord:
        problem = f"{record_path(config)} is not a web address"
    else:
        if recorded is not None:
            return replace(config, public_url=recorded)
        problem = f"no relay has recorded its address in {record_path(config)}"
    print(
        f"steuntje: {problem}; the link uses {config.effective_public_url}. Pass --public-url "
        "if people reach the relay elsewhere, or use the --data folder of the running relay.",
        file=sys.stderr,
    )
    return config


def _cosign(args: argparse.Namespace, audit_cli: Any) -> int:
    from audit import NoteError

    try:
        if args.check is not None:
            size, when = audit_cli.check_cosigned(args.kept, args.key, args.check)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))
            print(f"OK: checkpoint of size {size:,}, cosigned at {stamp}")
            return 0
        out = args.out or args.kept.with_name(args.kept.name + ".cosigned")
        key = audit_cli.cosign_kept(
            args.kept, args.key, args.officer_key, args.name, out, int(time.time())
        )
    except NoteError as error:
        print(f"FAILED {error}")
        return 1
    print(f"cosigner key: {key}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    from audit import BundleError

    try:
        return _audit_command(args)
    except BundleError as damage:  # export and checkpoint read the stored log too
        print(f"steuntje: the stored audit log is damaged: {damage}", file=sys.stderr)
        return 1


def _audit_command(args: argparse.Namespace) -> int:
    from relay import audit_cli

    if args.audit_command == "export":
        days = (args.from_day, args.to_day)
        asyncio.run(audit_cli.export(_config(args), args.out, args.csv, int(time.time()), days))
        return 0
    if args.audit_command == "bench":
        from relay import audit_bench

        if args.entries < 10:
            raise ConfigError("--entries must be at least 10")
        figures = asyncio.run(audit_bench.run(args.entries))
        if args.json:
            print(json.dumps(figures))
        else:
            for name, value in figures.items():
                print(f"{name:<26} {value}")
        return 0 if figures["verified"] else 1
    if args.audit_command == "cosign":
        return _cosign(args, audit_cli)
    if args.audit_command == "checkpoint":
        note, key = asyncio.run(audit_cli.checkpoint(_config(args)))
        print(f"organisation key: {key}")
        print(note or "(the log is empty: no checkpoint yet)")
        return 0
    if args.bundle is not None:
        report = audit_cli.verify_file(args.bundle, args.key, args.kept)
    else:
        try:
            report = asyncio.run(audit_cli.verify_data(_config(args), args.kept))
        except audit_cli.StoredLogDamaged as damage:
            print(f"FAILED (stored) {damage}")
            return 1
    print(report)
    return 0 if report.ok else 1


def main(argv: list[str] | None = None, extensions: Sequence[Extension] = ()) -> int:
    args = build_parser(extensions).parse_args(argv)
    try:
        if args.command == "serve":
            logging.basicConfig(
                level=args.log_level,
                stream=sys.stderr,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
            from relay.app import event_loop_factory
            from relay.server import serve

            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                runner.run(serve(_config(args)))
            return 0
        if args.command == "admin" and args.admin_command == "invite":
            from relay.server import invite_offline

            if not 0 < args.expires_in <= 30 * 24:
                raise ConfigError("--expires-in must be between 0 and 720 hours")
            config = _config(args)
            if not config.public_url:
                config = _recorded_public_url(config)
            link = asyncio.run(
                invite_offline(config, args.role, int(args.expires_in * 3600), int(time.time()))
            )
            print(f"Invite for a new {args.role} (works once, valid {args.expires_in:g} hours):")
            print(link)
            return 0
        if args.command == "retention" and args.retention_command == "purge":
            from relay.maintenance import purge

            asyncio.run(purge(_config(args), int(time.time()), args.dry_run))
            return 0
        if args.command == "retention" and args.retention_command == "report":
            from relay.maintenance import retention_report

            print(retention_report(_config(args), args.format, int(time.time())))
            return 0
        if args.command == "audit":
            return _audit(args)
        if args.command == "report":
            from relay import reach_cli

            return reach_cli.run(args, _config)
        if args.command == "questionnaire":
            from relay import questionnaire_cli

            return questionnaire_cli.run(args, _config) or 0
        for extension in extensions:
            status = extension.run(args)
            if status is not None:
                return status
    except ConfigError as error:
        print(f"steuntje: {error.message}", file=sys.stderr)
        return 2
    except FileNotFoundError as error:
        print(f"steuntje: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


__all__ = ["DAY", "Extension", "build_parser", "main"]
