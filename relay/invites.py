"""Invite tokens: 32 random bytes shown once (as a link or QR), stored only as SHA-256.

The token travels in the URL fragment (`#invite=…`), which browsers never send to a
server, so it stays out of the relay's and any proxy's access logs.
"""

from __future__ import annotations

import hashlib
import secrets

from relay.ids import b64url, unb64url

TOKEN_BYTES = 32

# Who may invite whom: a worker brings in caregivers (which opens a case); an admin anyone.
# Checked when an invite is made and again when it is redeemed, so an invite whose maker
# could no longer make it is void (PROTOCOL.md §4.2, "Credentials die with their issuer").
INVITABLE_ROLES: dict[str, tuple[str, ...]] = {
    "worker": ("caregiver",),
    "admin": ("admin", "worker", "officer", "caregiver"),
}


def may_invite(issuer_role: str, invited_role: str) -> bool:
    return invited_role in INVITABLE_ROLES.get(issuer_role, ())


def new_token() -> str:
    return b64url(secrets.token_bytes(TOKEN_BYTES))


def token_hash(token: str) -> bytes:
    """What the database keeps. Raises ValueError for a token of the wrong shape."""
    raw = unb64url(token)
    if len(raw) != TOKEN_BYTES:
        raise ValueError("invite token has the wrong length")
    return hashlib.sha256(raw).digest()


def invite_subject(hashed: bytes) -> str:
    """The audit subject id of an invite: its hash (the token itself is never stored)."""
    return "invite:" + hashed.hex()


def invite_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/#invite={token}"
