"""The command line works on a PostgreSQL relay as on SQLite: `steuntje serve --database`,
then `admin invite`, `retention purge` and `audit verify` against the same database."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from servers import loaded_conftest

from steuntje_client import DeviceKey, RelayClient


def steuntje(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_cli_tools_open_the_postgres_database(postgres_dsn, tmp_path, request):
    keys = ("--key-dir", str(tmp_path / "keys"), "--audit-key", str(tmp_path / "audit.key"))
    node = loaded_conftest(request.config).RelayProcess(
        tmp_path / "data", ("--database", postgres_dsn, *keys)
    )
    await node.start()
    try:
        banner = "".join(node.stdout_lines)
        assert "database: " in banner and "steuntje.sqlite3" not in banner
        options = ("--data", str(tmp_path / "data"), "--database", postgres_dsn, *keys)

        made = await asyncio.to_thread(steuntje, "admin", "invite", "--role", "worker", *options)
        assert made.returncode == 0, made.stderr
        link = made.stdout.strip().splitlines()[-1]
        worker = RelayClient(node.url, DeviceKey.generate())
        await worker.register(link)  # its token, redeemed at the live relay
        assert (await worker.whoami())["role"] == "worker"
        await worker.close()

        purge = await asyncio.to_thread(steuntje, "retention", "purge", *options)
        assert purge.returncode == 0 and "Retention purge of" in purge.stdout, purge.stderr
        assert "steuntje.sqlite3" not in purge.stdout
        verify = await asyncio.to_thread(steuntje, "audit", "verify", *options)
        assert verify.returncode == 0 and verify.stdout.startswith("OK"), verify.stdout
    finally:
        await node.terminate()
    assert not (tmp_path / "data" / "steuntje.sqlite3").exists()  # nothing went to SQLite
