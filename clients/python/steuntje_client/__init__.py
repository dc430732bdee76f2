"""Async Python client for the Steuntje relay: the whole protocol, for scripts, tests and the
benchmark. See PROTOCOL.md for the wire format this speaks."""

from steuntje_client.client import Envelope, RelayClient
from steuntje_client.errors import ClientError, ConnectionLost, RelayRefused
from steuntje_client.keys import DeviceKey, parse_invite
from steuntje_client.messages import Message
from steuntje_client.secure import Received, SecureClient

__all__ = [
    "ClientError",
    "ConnectionLost",
    "DeviceKey",
    "Envelope",
    "Message",
    "Received",
    "RelayClient",
    "RelayRefused",
    "SecureClient",
    "parse_invite",
]
