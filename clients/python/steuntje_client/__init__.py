"""Async Python client for the Steuntje relay: the whole protocol, for scripts, tests and the
benchmark. See PROTOCOL.md for the wire format this speaks."""

from steuntje_client.client import Envelope, RelayClient
from steuntje_client.errors import ClientError, ConnectionLost, RelayRefused
from steuntje_client.keys import DeviceKey, parse_invite

__all__ = [
    "ClientError",
    "ConnectionLost",
    "DeviceKey",
    "Envelope",
    "RelayClient",
    "RelayRefused",
    "parse_invite",
]
