"""`steuntje bench` and `steuntje retention bench`: the benchmark commands, added to the relay's
command line by steuntje_cli.py (relay/cli.py's Extension), so the relay never imports bench."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Mapping

from relay.cli import Commands
from relay.errors import ConfigError


def add_commands(groups: Mapping[str, Commands]) -> None:
    """The same flags, defaults and help texts `steuntje bench` has always had."""
    _add_retention_bench(groups["retention"])
    _add_bench(groups[""])


def run(args: argparse.Namespace) -> int | None:
    if args.command == "retention" and args.retention_command == "bench":
        return _retention_bench(args)
    if args.command == "bench" and args.groups is not None:
        from bench import group_bench

        return group_bench.run_cli(args)
    if args.command == "bench" and args.web:
        from bench import web_bench

        return web_bench.run_cli(args.runs or 5, args.json)
    if args.command == "bench":
        from bench.envelope_bench import run_cli

        args.runs = args.runs or 1
        return run_cli(args)
    return None


def _retention_bench(args: argparse.Namespace) -> int:
    from bench import purge_bench

    if args.envelopes < 100 or args.rate <= 0:
        raise ConfigError("--envelopes must be at least 100 and --rate positive")
    figures = asyncio.run(purge_bench.run(args.envelopes, args.rate, args.cli))
    print(
        json.dumps(figures)
        if args.json
        else "\n".join(f"{name:<16} {value}" for name, value in figures.items())
    )
    return 0 if figures["lost"] == 0 else 1


def _add_retention_bench(retention_commands: Commands) -> None:
    retention_bench = retention_commands.add_parser(
        "bench",
        help="measure purging N expired envelopes under live traffic",
        description="Start a relay, store N expired envelopes, and compare live latency at "
        "an offered rate while idle and while the purge deletes them all.",
    )
    retention_bench.add_argument("--envelopes", type=int, default=1_000_000)
    retention_bench.add_argument(
        "--rate", type=float, default=1000.0, help="offered envelopes/s of live traffic (1000)"
    )
    retention_bench.add_argument(
        "--cli", action="store_true", help="purge from a second process instead of the relay's job"
    )
    retention_bench.add_argument("--json", action="store_true")


def _add_bench(commands: Commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="measure throughput and latency",
        description="Start a relay on a temporary folder (or use --url), register pairs of "
        "devices through real invites, and send envelopes between them. Prints "
        "progress to stderr and a table (or, with --json, one JSON object as "
        "the last line) to stdout.",
    )
    bench.add_argument(
        "--url",
        default=None,
        help="measure an already running relay (needs --admin-invite); several nodes of one "
        "cluster comma-separated: devices are spread over them, so every envelope crosses "
        "from one node to another (docs/scaling.md)",
    )
    bench.add_argument(
        "--admin-invite", default=None, metavar="LINK", help="an admin invite link for --url"
    )
    bench.add_argument(
        "--server-pid",
        type=int,
        default=None,
        metavar="PID",
        help="process id of the relay at --url, to report its CPU and memory",
    )
    bench.add_argument("--pairs", type=int, default=50, help="sender/recipient pairs (50)")
    bench.add_argument("--messages", type=int, default=200, help="envelopes per sender (200)")
    bench.add_argument("--size", type=int, default=200, help="bytes per envelope (200)")
    bench.add_argument(
        "--inflight", type=int, default=8, help="unacknowledged envelopes per sender (8)"
    )
    bench.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered envelopes/s in total, 0 = as fast as possible",
    )
    bench.add_argument(
        "--offline",
        action="store_true",
        help="recipients connect only after every send is acknowledged",
    )
    bench.add_argument(
        "--connections",
        type=int,
        default=0,
        metavar="N",
        help="hold N idle authenticated connections and measure memory",
    )
    bench.add_argument(
        "--runs", type=int, default=None, help="repeat and report medians (1; with --web 5)"
    )
    bench.add_argument(
        "--web",
        action="store_true",
        help="measure the web app instead: bytes of the first load and the time until a "
        "caregiver reads a message, in headless Chromium slowed to a cheap phone on a slow "
        "line (needs chromium and playwright; uses --runs, default 5 here); with --groups, one "
        "member of each group is the web app on that slowed browser, sending",
    )
    bench.add_argument(
        "--groups",
        nargs="?",
        const="5,15,30",
        default=None,
        metavar="SIZES",
        help="measure peer-support groups instead: for each size (people, comma-separated; "
        "5,15,30) with 2 devices each, the latency and sender CPU of --messages group "
        "messages, then envelopes/s with every group sending at once",
    )
    bench.add_argument("--sqlite-sync", choices=("full", "normal"), default="full")
    bench.add_argument(
        "--no-crypto",
        dest="crypto",
        action="store_false",
        help="send opaque bytes: measure the relay alone, without the "
        "end-to-end encryption every real device does (on by default)",
    )
    bench.add_argument(
        "--crypto-micro",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also time ratchet encrypt+decrypt and X3DH setups on one core",
    )
    bench.add_argument("--json", action="store_true", help="print one JSON object last")
