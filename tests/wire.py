"""Socket.IO spoken by hand over one WebSocket, for frames no well-behaved client library
would send (bad event names, broken binary framing). Replies are decoded with
python-socketio's own packet class, so what we read is what a real client would read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from socketio import packet

WAIT = 10


class ConnectionClosed(Exception):
    """The relay closed this WebSocket."""


class RawWire:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0
        self._replies: dict[int, list[Any]] = {}

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[RawWire]:
        """A connection that has joined the default namespace (not signed in)."""
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
            wire = cls(ws)
            first = await asyncio.wait_for(ws.receive(), WAIT)
            assert first.type is aiohttp.WSMsgType.TEXT and first.data.startswith("0"), first
            await ws.send_str("40")
            joined = await asyncio.wait_for(wire._frame(), WAIT)
            assert isinstance(joined, str) and joined.startswith("0"), joined
            try:
                yield wire
            finally:
                await ws.close()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def send_text(self, frame: str) -> None:
        await self.ws.send_str(frame)

    async def send_binary(self, frame: bytes) -> None:
        await self.ws.send_bytes(frame)

    async def emit(self, *data: Any) -> int:
        """`42<id>[...]`: any JSON value may stand where the event name goes."""
        ack_id = self.new_id()
        await self.send_text(f"42{ack_id}" + json.dumps(list(data)))
        return ack_id

    async def call(self, *data: Any, wait_s: float = WAIT) -> Any:
        return await self.reply(await self.emit(*data), wait_s)

    async def reply(self, ack_id: int, wait_s: float = WAIT) -> Any:
        """The first argument of the acknowledgement with this id."""
        async with asyncio.timeout(wait_s):
            while ack_id not in self._replies:
                await self._read_packet()
        data = self._replies.pop(ack_id)
        return data[0] if data else None

    async def closed(self, wait_s: float = WAIT) -> bool:
        """True once the relay closes the socket (reading on until then)."""
        try:
            async with asyncio.timeout(wait_s):
                while True:
                    await self._read_packet()
        except ConnectionClosed:
            return True

    async def _frame(self) -> str | bytes:
        while True:
            message = await self.ws.receive()
            if message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.ERROR,
            ):
                raise ConnectionClosed(message.type.name)
            if message.type is aiohttp.WSMsgType.BINARY:
                return message.data
            text = message.data
            if text == "2":  # an Engine.IO ping: answer it, or the relay hangs up
                await self.ws.send_str("3")
                continue
            if text.startswith("1"):  # an Engine.IO close
                raise ConnectionClosed("engine.io close")
            return text[1:]  # the Engine.IO "message" type, then the Socket.IO packet

    async def _read_packet(self) -> None:
        frame = await self._frame()
        if isinstance(frame, bytes):
            return
        pkt = packet.Packet(encoded_packet=frame)
        for _ in range(pkt.attachment_count):
            attachment = await self._frame()
            pkt.add_attachment(attachment)
        if pkt.packet_type in (packet.ACK, packet.BINARY_ACK) and pkt.id is not None:
            self._replies[pkt.id] = pkt.data or []
        elif pkt.packet_type == packet.DISCONNECT:
            raise ConnectionClosed("socket.io disconnect")
