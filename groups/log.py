"""The signed membership log of a peer-support group (docs/groups.md §2).

Who is in a group is decided by signatures, not by the relay. Every change (a group is
created, someone joins with an invitation ticket, adds a device, leaves, is removed,
changes role or is muted) is a *record* signed by a group identity key ("handle": an
Ed25519 public key that exists for this one group only, so it links to nothing else).
Records form a hash chain. The relay checks every record before it appends it (so it
refuses nonsense early); every client checks the whole chain again before it encrypts to
anyone (so a relay that lies cannot add a listener: it can only withhold records).

A record travels as the exact JSON text that was signed plus the signature, so no
implementation ever has to re-serialise JSON the same way as another:

    {"body": "{\\"by\\":\\"…\\",\\"group\\":\\"grp_…\\",\\"op\\":\\"create\\",…}", "sig": "…"}

Pure: no I/O, no clock (callers pass ``now`` where it matters), no randomness. It lives
outside ``crypto/`` because the relay runs it too, and the relay never touches the
end-to-end layer: this checks public signatures on public records, nothing secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions

__all__ = [
    "DEVICE_PROOF_LABEL",
    "GROUP_ID",
    "HANDLE",
    "MAX_FACILITATORS",
    "MAX_HANDLES_PER_MEMBER",
    "MAX_MEMBERS",
    "RECORD_LABEL",
    "TICKET_LABEL",
    "GroupState",
    "InvalidRecord",
    "Member",
    "SignedRecord",
    "Ticket",
    "apply_record",
    "device_proof",
    "fold",
    "make_record",
    "make_ticket",
    "record_hash",
    "verify_device_proof",
]

RECORD_LABEL = b"steuntje/v1/sig/group-record\x00"
TICKET_LABEL = b"steuntje/v1/sig/group-ticket\x00"
DEVICE_PROOF_LABEL = b"steuntje/v1/sig/group-device\x00"

MAX_MEMBERS = 30  # people with role "member" (the caregivers); facilitators come on top
MAX_FACILITATORS = 5
MAX_HANDLES_PER_MEMBER = 5  # one per device of that person
MAX_BODY_CHARS = 2048
MAX_MUTE_S = 30 * 86_400  # a mute is "for a while", never for good
ROLES = ("facilitator", "member")
OPS = ("create", "join", "device", "leave", "remove", "role", "mute")

# Canonical base64url only: the unused low bits of the last character must be zero, so a
# key has exactly one spelling and "already in use" / "retired" compare keys, not spellings.
GROUP_ID = re.compile(r"grp_[A-Za-z0-9_-]{21}[AQgw]")  # 16 random bytes
HANDLE = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]")  # an Ed25519 public key
NONCE = re.compile(r"[A-Za-z0-9_-]{21}[AQgw]")  # 16 random bytes
SIG = re.compile(r"[A-Za-z0-9_-]{85}[AQgw]")  # 64 bytes
HASH = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]")  # SHA-256


class InvalidRecord(ValueError):
    """A record that must not be applied; ``reason`` is one of a closed set of words
    (docs/groups.md §2.4), safe to show and to send to a client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ed25519_public_key(seed: bytes) -> bytes:
    public_key, _ = sodium.crypto_sign_seed_keypair(seed)
    return public_key


def ed25519_sign(seed: bytes, message: bytes) -> bytes:
    _, secret_key = sodium.crypto_sign_seed_keypair(seed)
    return sodium.crypto_sign(message, secret_key)[:64]


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """libsodium's strict verification, as the auth challenge and crypto/ use."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.CryptoError:
        return False
    return True


def _utf8(text: str) -> bool:
    """False for text with a lone surrogate (JSON allows "\\ud800"): it has no UTF-8 bytes
    to sign, so such a record is malformed, as the JS port says too."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _dumps(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True, slots=True)
class SignedRecord:
    """The signed JSON text of one change, and its Ed25519 signature (base64url)."""

    body: str
    sig: str

    def to_wire(self) -> dict[str, str]:
        return {"body": self.body, "sig": self.sig}

    @classmethod
    def from_wire(cls, data: Any) -> SignedRecord:
        if not isinstance(data, dict) or set(data) != {"body", "sig"}:
            raise InvalidRecord("malformed")
        body, sig = data["body"], data["sig"]
        if not isinstance(body, str) or not isinstance(sig, str) or not _utf8(body):
            raise InvalidRecord("malformed")
        if len(body) > MAX_BODY_CHARS or not SIG.fullmatch(sig):
            raise InvalidRecord("malformed")
        return cls(body, sig)


@dataclass(frozen=True, slots=True)
class Ticket:
    """An invitation to one group, signed by a facilitator's handle; good for one join."""

    body: str  # {"expires":…,"group":"grp_…","nonce":"…","v":1}
    by: str
    sig: str

    def to_wire(self) -> dict[str, str]:
        return {"body": self.body, "by": self.by, "sig": self.sig}

    @classmethod
    def from_wire(cls, data: Any) -> Ticket:
        if not isinstance(data, dict) or set(data) != {"body", "by", "sig"}:
            raise InvalidRecord("ticket_invalid")
        body, by, sig = data["body"], data["by"], data["sig"]
        if not all(isinstance(x, str) for x in (body, by, sig)) or not _utf8(body):
            raise InvalidRecord("ticket_invalid")
        if len(body) > 256 or not HANDLE.fullmatch(by) or not SIG.fullmatch(sig):
            raise InvalidRecord("ticket_invalid")
        return cls(body, by, sig)

    def fields(self) -> dict[str, Any]:
        """The ticket's group, nonce and expiry, once its signature checks out."""
        if not ed25519_verify(_unb64(self.by), TICKET_LABEL + self.body.encode(), _unb64(self.sig)):
            raise InvalidRecord("ticket_invalid")
        try:
            fields = json.loads(self.body)
        except ValueError:
            raise InvalidRecord("ticket_invalid") from None
        if (
            not isinstance(fields, dict)
            or set(fields) != {"v", "group", "nonce", "expires"}
            or fields["v"] != 1
            or not isinstance(fields["group"], str)
            or not GROUP_ID.fullmatch(fields["group"])
            or not isinstance(fields["nonce"], str)
            or not NONCE.fullmatch(fields["nonce"])
            or not _whole(fields["expires"])
        ):
            raise InvalidRecord("ticket_invalid")
        return fields


@dataclass(frozen=True, slots=True)
class Member:
    id: str  # the handle this person joined (or created the group) with
    role: str
    handles: tuple[str, ...]
    muted_until: int = 0
    joined_seq: int = 0


@dataclass(frozen=True, slots=True)
class GroupState:
    """The group as the log so far says it is."""

    group: str
    seq: int
    head: str  # record_hash of the last record
    members: dict[str, Member] = field(default_factory=dict)
    used_tickets: frozenset[str] = frozenset()  # nonces already joined with
    retired: frozenset[str] = frozenset()  # handles of people who left or were removed

    def owner(self, handle: str) -> Member | None:
        for member in self.members.values():
            if handle in member.handles:
                return member
        return None

    def handles(self) -> list[str]:
        return [h for m in self.members.values() for h in m.handles]

    def count(self, role: str) -> int:
        return sum(1 for m in self.members.values() if m.role == role)


def record_hash(record: SignedRecord) -> str:
    """What the next record's ``prev`` must be: SHA-256 of the signed body text."""
    return _b64(hashlib.sha256(record.body.encode()).digest())


def make_record(signing_seed: bytes, fields: dict[str, Any]) -> SignedRecord:
    """Sign ``fields`` (``by`` is filled in from the key) as a record."""
    by = _b64(ed25519_public_key(signing_seed))
    body = _dumps({"v": 1, **fields, "by": by})
    return SignedRecord(body, _b64(ed25519_sign(signing_seed, RECORD_LABEL + body.encode())))


def make_ticket(signing_seed: bytes, group: str, nonce: str, expires: int) -> Ticket:
    body = _dumps({"v": 1, "group": group, "nonce": nonce, "expires": expires})
    sig = ed25519_sign(signing_seed, TICKET_LABEL + body.encode())
    return Ticket(body, _b64(ed25519_public_key(signing_seed)), _b64(sig))


def device_proof(new_handle_seed: bytes, record: SignedRecord) -> str:
    """The new device's own signature over a ``device`` record: it holds the key it adds."""
    return _b64(ed25519_sign(new_handle_seed, DEVICE_PROOF_LABEL + record.body.encode()))


def verify_device_proof(record: SignedRecord, handle: str, proof: Any) -> bool:
    if not isinstance(proof, str) or not SIG.fullmatch(proof) or not HANDLE.fullmatch(handle):
        return False
    return ed25519_verify(_unb64(handle), DEVICE_PROOF_LABEL + record.body.encode(), _unb64(proof))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


_OP_FIELDS: dict[str, set[str]] = {
    "create": set(),
    "join": {"ticket"},
    "device": {"member", "handle"},
    "leave": {"member"},
    "remove": {"member"},
    "role": {"member", "role"},
    "mute": {"member", "until"},
}
_COMMON = {"v", "group", "seq", "prev", "op", "by"}


def _parse(record: SignedRecord) -> dict[str, Any]:
    try:
        fields = json.loads(record.body)
    except ValueError:
        raise InvalidRecord("malformed") from None
    if not isinstance(fields, dict) or fields.get("v") != 1 or fields.get("op") not in OPS:
        raise InvalidRecord("malformed")
    if set(fields) != _COMMON | _OP_FIELDS[fields["op"]]:
        raise InvalidRecord("malformed")
    by = fields["by"]
    if not isinstance(by, str) or not HANDLE.fullmatch(by):
        raise InvalidRecord("malformed")
    if not isinstance(fields["group"], str) or not GROUP_ID.fullmatch(fields["group"]):
        raise InvalidRecord("malformed")
    if not _whole(fields["seq"]) or fields["seq"] < 1 or not isinstance(fields["prev"], str):
        raise InvalidRecord("malformed")
    for name in ("member", "handle"):
        if name in fields and not (
            isinstance(fields[name], str) and HANDLE.fullmatch(fields[name])
        ):
            raise InvalidRecord("malformed")
    if "role" in fields and fields["role"] not in ROLES:
        raise InvalidRecord("malformed")
    if "until" in fields and not _whole(fields["until"]):
        raise InvalidRecord("malformed")
    if not ed25519_verify(_unb64(by), RECORD_LABEL + record.body.encode(), _unb64(record.sig)):
        raise InvalidRecord("bad_signature")
    return fields


def apply_record(
    state: GroupState | None, record: SignedRecord, now: int | None = None
) -> GroupState:
    """The state after ``record``, or InvalidRecord. ``now`` (the relay passes it, at the
    moment it appends) also checks that a join's ticket has not expired and that a mute
    does not run longer than MAX_MUTE_S; clients replaying the log pass None."""
    fields = _parse(record)
    op, by, seq = fields["op"], fields["by"], fields["seq"]
    if state is None:
        if op != "create" or seq != 1 or fields["prev"] != "":
            raise InvalidRecord("wrong_seq")
        creator = Member(by, "facilitator", (by,), 0, 1)
        return GroupState(
            fields["group"], 1, record_hash(record), {by: creator}, frozenset(), frozenset()
        )
    if fields["group"] != state.group:
        raise InvalidRecord("wrong_group")
    if seq != state.seq + 1:
        raise InvalidRecord("wrong_seq")
    if fields["prev"] != state.head:
        raise InvalidRecord("wrong_prev")
    members = dict(state.members)
    signer = state.owner(by)
    used, retired = state.used_tickets, state.retired

    if op == "create":
        raise InvalidRecord("wrong_seq")
    if op == "join":
        ticket = Ticket.from_wire(fields["ticket"])
        ticket_fields = ticket.fields()
        issuer = state.owner(ticket.by)
        if ticket_fields["group"] != state.group or issuer is None or issuer.role != "facilitator":
            raise InvalidRecord("ticket_invalid")
        if ticket_fields["nonce"] in used:
            raise InvalidRecord("ticket_used")
        if now is not None and ticket_fields["expires"] < now:
            raise InvalidRecord("ticket_expired")
        if signer is not None or by in retired:
            raise InvalidRecord("handle_in_use")
        if state.count("member") >= MAX_MEMBERS:
            raise InvalidRecord("group_full")
        members[by] = Member(by, "member", (by,), 0, seq)
        used = used | {ticket_fields["nonce"]}
    else:
        target = members.get(fields["member"])
        if signer is None or target is None:
            raise InvalidRecord("unknown_member")
        if op == "device":
            if signer.id != target.id:
                raise InvalidRecord("not_own_member")
            handle = fields["handle"]
            if state.owner(handle) is not None or handle in retired:
                raise InvalidRecord("handle_in_use")
            if len(target.handles) >= MAX_HANDLES_PER_MEMBER:
                raise InvalidRecord("too_many_devices")
            members[target.id] = replace(target, handles=(*target.handles, handle))
        elif op == "leave":
            if signer.id != target.id:
                raise InvalidRecord("not_own_member")
            _keep_a_facilitator(state, target)
            del members[target.id]
            retired = retired | set(target.handles)
        else:  # remove, role, mute: the facilitator's tools
            if signer.role != "facilitator":
                raise InvalidRecord("not_facilitator")
            if op == "remove":
                if target.id == signer.id:
                    raise InvalidRecord("not_own_member")  # leaving is its own record
                _keep_a_facilitator(state, target)
                del members[target.id]
                retired = retired | set(target.handles)
            elif op == "role":
                if fields["role"] == target.role:
                    raise InvalidRecord("no_change")
                if (
                    fields["role"] == "facilitator"
                    and state.count("facilitator") >= MAX_FACILITATORS
                ):
                    raise InvalidRecord("group_full")
                if fields["role"] == "member":
                    _keep_a_facilitator(state, target)
                members[target.id] = replace(target, role=fields["role"])
            else:  # mute
                if target.role == "facilitator":
                    raise InvalidRecord("not_permitted")
                until = fields["until"]
                if now is not None and until > now + MAX_MUTE_S:
                    raise InvalidRecord("mute_too_long")
                members[target.id] = replace(target, muted_until=until)
    return GroupState(state.group, seq, record_hash(record), members, used, retired)


def _keep_a_facilitator(state: GroupState, leaving: Member) -> None:
    if leaving.role == "facilitator" and state.count("facilitator") == 1:
        raise InvalidRecord("last_facilitator")


def fold(records: Iterable[SignedRecord], group: str | None = None) -> GroupState:
    """Check a whole log from its first record; InvalidRecord at the first bad one."""
    state: GroupState | None = None
    for record in records:
        state = apply_record(state, record)
    if state is None or (group is not None and state.group != group):
        raise InvalidRecord("wrong_group")
    return state
