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
