"""`make run` listens where it is told: STEUNTJE_PORT, STEUNTJE_DATA and STEUNTJE_HOST in the
environment, or the Makefile's own PORT, DATA and HOST on the command line (README.md).

The real Makefile runs the real relay. `-o .venv/.installed` tells make not to (re)install
into .venv whatever the stamp's age, and BIN points at the interpreter running these tests,
so the test uses the installed code and never starts a pip install.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]
BANNER_TIMEOUT_S = 30
# 127.0.0.2 is loopback too on Linux, and not the default: proves the host is honoured.
HOST = "127.0.0.2"


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


async def read_banner(process: asyncio.subprocess.Process) -> list[str]:
    """Lines up to the banner's last one; the relay prints it once it is listening."""
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError(f"make run ended before the banner: {lines}")
        lines.append(line)
        if line.startswith("Open the web app"):
            return lines


async def stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM to make and the relay it started (their own process group). Their output
    ends only when both have exited (both hold the pipe), so no process outlives the test."""
    assert process.stdout is not None
    if process.returncode is None:
        os.killpg(process.pid, signal.SIGTERM)
    rest = await asyncio.wait_for(process.stdout.read(), 30)
    await asyncio.wait_for(process.wait(), 30)
    return rest.decode()


@pytest.mark.parametrize("how", ["environment", "make variables"])
async def test_make_run_listens_on_the_chosen_port_host_and_data(how: str, tmp_path: Path) -> None:
    make = shutil.which("make")
    assert make is not None, "make is needed: `make run` and `make test` are the two commands"
    port, data = free_port(HOST), tmp_path / "chosen-data"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("PORT", "DATA", "HOST", "STEUNTJE_PORT", "STEUNTJE_DATA", "STEUNTJE_HOST"):
        env.pop(name, None)
    arguments = [make, "--no-print-directory", "-o", ".venv/.installed", "run"]
    arguments.append(f"BIN={Path(sys.executable).parent}")
    chosen = {"PORT": str(port), "DATA": str(data), "HOST": HOST}
    if how == "environment":
        env.update({f"STEUNTJE_{name}": value for name, value in chosen.items()})
    else:
        arguments += [f"{name}={value}" for name, value in chosen.items()]
    default_data_existed = (ROOT / "data").exists()
    process = await asyncio.create_subprocess_exec(
        *arguments,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        banner = "".join(await asyncio.wait_for(read_banner(process), BANNER_TIMEOUT_S))
        assert f"listening on http://{HOST}:{port}\n" in banner, banner
        assert re.search(rf"database: .*{re.escape(str(data))}", banner), banner
        assert "pip install" not in banner  # the stamp was respected
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{HOST}:{port}/") as response,
        ):
            assert response.status == 200
            assert "text/html" in response.headers["Content-Type"]
        assert (data / "steuntje.sqlite3").is_file()
    finally:
        rest = await stop(process)
    assert "Steuntje relay stopped cleanly." in rest, rest
    assert default_data_existed or not (ROOT / "data").exists(), "./data was used instead"
