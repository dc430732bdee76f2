"""The `steuntje` command: the relay's command line plus the benchmark commands.

A composition module outside both packages, so dependencies point one way: bench imports the
relay and the client library; the relay imports neither (tests/test_architecture.py)."""

from __future__ import annotations

import bench.cli
from relay.cli import main as relay_main


def main(argv: list[str] | None = None) -> int:
    return relay_main(argv, extensions=[bench.cli])


if __name__ == "__main__":
    raise SystemExit(main())
