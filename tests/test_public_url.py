"""`steuntje admin invite` prints the link of the running relay, not a guess.

`steuntje serve` records the address people reach it at (its --public-url, else the address
it really listens on, port 0 resolved) in DATA/public-url; `admin invite --data DATA` reads
it. --public-url (or STEUNTJE_PUBLIC_URL) overrides the record; with no record the command
falls back to http://HOST:PORT and says so on stderr (README.md, "Using it").
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from servers import loaded_conftest

from relay.config import RelayConfig
from relay.public_url import RECORD_NAME, DamagedRecord, read_public_url, record_public_url
from steuntje_client import DeviceKey, RelayClient

# The CLI's view must come from its flags and the record, not from this shell.
CLEAN_ENV = {
    name: value
    for name, value in os.environ.items()
    if name not in ("STEUNTJE_PUBLIC_URL", "STEUNTJE_HOST", "STEUNTJE_PORT", "STEUNTJE_DATA")
}


def admin_invite(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", "admin", "invite", "--role", "worker", *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=CLEAN_ENV,
    )


def link_of(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


async def test_admin_invite_prints_the_port_the_relay_really_listens_on(relay_process):
    """The relay was started on port 0: only the relay knows the port it got."""
    assert relay_process.port not in (0, 8080)
    data = str(relay_process.data_dir)
    result = await asyncio.to_thread(admin_invite, "--data", data)
    link = link_of(result)
    assert link.startswith(f"http://127.0.0.1:{relay_process.port}/#invite="), link
    assert result.stderr == ""  # no fallback warning: the record was there
    worker = RelayClient(relay_process.url, DeviceKey.generate())
    assert (await worker.register(link))["role"] == "worker"
    await worker.close()


async def test_the_public_url_flag_overrides_the_record(relay_process):
    data = str(relay_process.data_dir)
    result = await asyncio.to_thread(
        admin_invite, "--data", data, "--public-url", "https://steuntje.example.nl/"
    )
    assert link_of(result).startswith("https://steuntje.example.nl/#invite=")


async def test_serve_records_its_public_url_which_outlives_a_stop(tmp_path, request):
    """Behind a proxy the relay's --public-url is what people open; the record stays after a
    stop, so an invite made while the relay is down still points where it will run."""
    node = loaded_conftest(request.config).RelayProcess(
        tmp_path / "data", ("--public-url", "https://steuntje.example.nl/")
    )
    await node.start()
    try:
        record = tmp_path / "data" / RECORD_NAME
        assert record.read_text(encoding="utf-8") == "https://steuntje.example.nl\n"
        assert "https://steuntje.example.nl/#invite=" in "".join(node.stdout_lines)
    finally:
        assert await node.terminate() == 0
    result = await asyncio.to_thread(admin_invite, "--data", str(tmp_path / "data"))
    assert link_of(result).startswith("https://steuntje.example.nl/#invite=")
    assert [p.name for p in (tmp_path / "data").iterdir() if p.name.startswith(".")] == []


def test_without_a_record_the_cli_falls_back_and_says_so(tmp_path):
    result = admin_invite("--data", str(tmp_path / "data"))
    assert link_of(result).startswith("http://127.0.0.1:8080/#invite=")
    assert "no relay has recorded its address" in result.stderr
    assert str(tmp_path / "data" / RECORD_NAME) in result.stderr
    assert "--public-url" in result.stderr


def test_a_damaged_record_is_not_used(tmp_path):
    config = RelayConfig(data_dir=tmp_path)
    for damaged in ("javascript:alert(1)\n", "", "http://a.example.nl http://b.example.nl"):
        (tmp_path / RECORD_NAME).write_text(damaged, encoding="utf-8")
        with pytest.raises(DamagedRecord):
            read_public_url(config)
    result = admin_invite("--data", str(tmp_path))
    assert link_of(result).startswith("http://127.0.0.1:8080/#invite=")
    assert "not a web address" in result.stderr


def test_the_record_is_the_effective_url_and_replaced_whole(tmp_path):
    config = RelayConfig(host="0.0.0.0", port=18101, data_dir=tmp_path / "new")
    record_public_url(config)  # creates the folder, as a first start does
    assert read_public_url(config) == "http://127.0.0.1:18101"
    record_public_url(RelayConfig(public_url="https://a.example.nl/", data_dir=tmp_path / "new"))
    assert read_public_url(config) == "https://a.example.nl"
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [RECORD_NAME]


async def test_a_postgres_relay_records_in_its_data_folder_too(postgres_dsn, tmp_path, request):
    """With --database there is no SQLite file, but each node still has a --data folder on
    its own machine: the record goes there, and `admin invite` on that machine reads it."""
    keys = ("--key-dir", str(tmp_path / "keys"), "--audit-key", str(tmp_path / "audit.key"))
    node = loaded_conftest(request.config).RelayProcess(
        tmp_path / "data", ("--database", postgres_dsn, *keys)
    )
    await node.start()
    try:
        options = ("--data", str(tmp_path / "data"), "--database", postgres_dsn, *keys)
        result = await asyncio.to_thread(admin_invite, *options)
        assert link_of(result).startswith(f"{node.url}/#invite="), result.stdout
    finally:
        await node.terminate()
    assert (tmp_path / "data" / RECORD_NAME).is_file()
    assert not (tmp_path / "data" / "steuntje.sqlite3").exists()
