"""The client's exceptions.

ClientError          root
├── RelayRefused     the relay answered with an error code (`code`, `message`, `details`)
└── ConnectionLost   no answer: the connection dropped first. Resend with the same ids.
"""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    pass


class RelayRefused(ClientError):
    def __init__(self, code: str, message: str = "", details: dict[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.details = details or {}
        super().__init__(f"{code}: {message}" if message else code)

    @classmethod
    def from_reply(cls, reply: Any) -> RelayRefused:
        error = reply.get("error") if isinstance(reply, dict) else None
        if not isinstance(error, dict):
            return cls("malformed_reply", "the relay's reply was not understood")
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        return cls(str(error.get("code")), str(error.get("message", "")), details)


class ConnectionLost(ClientError):
    pass
