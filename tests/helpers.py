"""Small helpers shared by tests: raw protocol access for sending what a good client never would."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from steuntje_client import RelayClient

WAIT = 10


async def raw_call(client: RelayClient, event: str, *args: Any) -> Any:
    """Emit exactly these arguments and return the relay's raw reply (python-socketio sends
    a tuple as several arguments)."""
    data = args[0] if len(args) == 1 else (tuple(args) if args else None)
    return await client._sio.call(event, data, timeout=WAIT)


def error_code(reply: Any) -> str:
    assert isinstance(reply, dict) and reply.get("ok") is False, reply
    return reply["error"]["code"]


async def raw_socket(url: str, **kwargs: Any) -> socketio.AsyncClient:
    """A connected, unauthenticated Socket.IO client."""
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, transports=["websocket"], wait_timeout=WAIT, **kwargs)
    return sio


async def receive(client: RelayClient, count: int) -> list:
    return [await asyncio.wait_for(client.envelopes.get(), WAIT) for _ in range(count)]


# -- reading our own source, for the tests that keep packages pure ----------------------


def imports_in(path) -> set[str]:
    """Every module a Python file imports (`import a.b` -> a.b; `from a import b` -> a)."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def called_names(path) -> set[str]:
    """Plain names a file calls (print, open, eval, ...)."""
    import ast

    return {
        node.func.id
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def os_attributes(path) -> set[str]:
    """Which `os.<name>` a file uses."""
    import ast

    return {
        node.attr
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "os"
    }


async def storage_with_devices(path, *devices: str, now: int, **options: Any):
    """An opened SQLiteStorage at `path` with each device registered on its own worker
    account through a real invite (the storage-level tests' common starting point)."""
    from relay.invites import new_token, token_hash
    from relay.storage.sqlite import SQLiteStorage

    storage = SQLiteStorage(path, **options)
    await storage.open()
    _, org = await storage.installation(now)
    for device in devices:
        token = new_token()
        await storage.create_invite(token_hash(token), org, "worker", None, now, now + 60)
        await storage.redeem_invite(token_hash(token), device, now)
    return storage
