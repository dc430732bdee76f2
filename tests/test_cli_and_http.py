"""The command line, the HTTP endpoints, browser-facing security headers and Origin checks,
and what the relay writes to its logs."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import aiohttp
import pytest
import socketio

from relay import __version__
from steuntje_client import DeviceKey, RelayClient, RelayRefused


def steuntje(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steuntje_cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_help_explains_every_command():
    result = steuntje("--help")
    assert result.returncode == 0
    for command in ("serve", "admin", "bench"):
        assert command in result.stdout
    serve = steuntje("serve", "--help").stdout
    assert "--data" in serve and "--sqlite-sync" in serve and "power loss" in serve


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("serve", "--port", "70000"), "--port must be between 0 and 65535"),
        (("serve", "--public-url", "steuntje.nl"), "--public-url must look like"),
        (("admin", "invite", "--role", "worker", "--expires-in", "0"), "--expires-in"),
    ],
)
def test_bad_configuration_stops_with_a_clear_message(args, message, tmp_path):
    result = steuntje(*args, "--data", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_retention_report_lists_every_stored_table_with_a_basis():
    import json

    from retention.lifetimes import LIFETIMES

    result = steuntje("retention", "report", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    for entry in LIFETIMES:
        row = next(r for r in rows if r["data"].startswith(entry.table + ":"))
        assert row["kept_for"] and row["legal_basis"] and row["deleted_by"], entry.table
    markdown = steuntje("retention", "report", "--format", "markdown").stdout
    assert markdown.startswith("| data | kept for |") and markdown.count("\n") >= len(LIFETIMES)


def test_an_unknown_role_is_refused_by_the_cli(tmp_path):
    result = steuntje("admin", "invite", "--role", "wizard", "--data", str(tmp_path))
    assert result.returncode == 2 and "invalid choice" in result.stderr


async def test_admin_invite_from_the_cli_works_while_the_relay_runs(relay_process):
    admin = RelayClient(relay_process.url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    result = await asyncio.to_thread(
        steuntje,
        "admin",
        "invite",
        "--role",
        "officer",
        "--data",
        str(relay_process.data_dir),
        "--public-url",
        relay_process.url,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip().splitlines()[-1]
    assert link.startswith(relay_process.url + "/#invite=")
    officer = RelayClient(relay_process.url, DeviceKey.generate())
    assert (await officer.register(link))["role"] == "officer"
    await officer.close()
    await admin.close()


async def test_the_first_start_prints_an_admin_invite_and_later_starts_do_not(relay_process):
    assert relay_process.admin_invite is not None
    admin = RelayClient(relay_process.url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    await admin.close()
    assert await relay_process.terminate() == 0
    await relay_process.start()
    assert relay_process.admin_invite is None


async def test_healthz_reports_status_and_version(relay):
    async with aiohttp.ClientSession() as session, session.get(f"{relay.url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "version": __version__}


async def test_pages_carry_a_strict_content_security_policy(relay):
    async with aiohttp.ClientSession() as session, session.get(f"{relay.url}/") as response:
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_a_foreign_origin_cannot_open_a_socket(relay):
    sio = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sio.connect(
            relay.url,
            transports=["websocket"],
            wait_timeout=5,
            headers={"Origin": "https://evil.example"},
        )
    same = socketio.AsyncClient(reconnection=False)
    await same.connect(
        relay.url, transports=["websocket"], wait_timeout=5, headers={"Origin": relay.url}
    )
    await same.disconnect()


async def test_an_allowed_origin_can_connect(make_relay):
    relay = await make_relay(allowed_origins=("https://app.steuntje.example",))
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(
        relay.url,
        transports=["websocket"],
        wait_timeout=5,
        headers={"Origin": "https://app.steuntje.example"},
    )
    assert sio.connected
    await sio.disconnect()
    for server in make_relay.servers:
        await server.close()


async def test_logs_hold_no_tokens_keys_ids_or_ciphertext(relay_process):
    url = relay_process.url
    admin = RelayClient(url, DeviceKey.generate())
    await admin.register(relay_process.admin_invite)
    invite = await admin.create_invite("worker")
    worker = RelayClient(url, DeviceKey.generate())
    await worker.register(invite["link"])
    caregiver_invite = await worker.create_invite("caregiver")
    caregiver = RelayClient(url, DeviceKey.generate())
    await caregiver.register(caregiver_invite["token"])
    secret = b"GEHEIM-mantelzorg-7f3a9c"
    await worker.send(caregiver.device_id, secret)
    assert (await asyncio.wait_for(caregiver.envelopes.get(), 10)).body == secret
    with pytest.raises(RelayRefused):
        await RelayClient(url, DeviceKey.generate()).register(invite["token"])  # reused
    for client in (admin, worker, caregiver):
        await client.close()
    async with aiohttp.ClientSession() as session:  # garbage must not be quoted either
        for junk in ("garbage-GEHEIM", '42["send" GEHEIM', b"\x00 GEHEIM"):
            async with session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket") as ws:
                await ws.receive()
                await ws.send_str("40")
                await ws.receive()
                await (ws.send_bytes(junk) if isinstance(junk, bytes) else ws.send_str(junk))
    assert await relay_process.terminate() == 0
    banner_end = next(
        i
        for i, line in enumerate(relay_process.stdout_lines)
        if line.startswith("Open the web app")
    )
    logs = "".join(relay_process.stdout_lines[banner_end + 1 :]) + relay_process.stderr_text()
    assert "stopping" in logs  # the log is being written at all
    assert "Traceback" not in logs and " ERROR " not in logs
    forbidden = [
        "GEHEIM",
        secret.decode(),
        invite["token"],
        caregiver_invite["token"],
        worker.device_id,
        caregiver.device_id,
        admin.device_id,
        worker.account_id,
        caregiver.account_id,
        "127.0.0.1:",
    ]
    for value in forbidden:
        assert value not in logs, f"the log holds {value[:12]}…"
