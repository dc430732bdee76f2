"""Every error the relay can report to a client, and the one exception that carries them.

    RelayError                  root: carries a stable wire `code` and a human `message`
    └── ConfigError             the relay's own configuration is unusable (never sent to clients)

Handlers raise `RelayError(Code.X)`; the Socket.IO edge turns it into
`{"ok": false, "error": {"code": ..., "message": ...}}`. Codes are part of the protocol
(PROTOCOL.md, "Error codes"): never rename one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Wire error codes. The value is what the client sees."""

    # framing and dispatch
    MALFORMED = "malformed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNKNOWN_EVENT = "unknown_event"
    NOT_AUTHENTICATED = "not_authenticated"
    ALREADY_AUTHENTICATED = "already_authenticated"
    # authentication and registration
    NO_CHALLENGE = "no_challenge"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_DEVICE = "unknown_device"
    DEVICE_REVOKED = "device_revoked"
    DEVICE_EXISTS = "device_exists"
    ACCOUNT_DISABLED = "account_disabled"
    INVITE_INVALID = "invite_invalid"
    INVITE_EXPIRED = "invite_expired"
    INVITE_USED = "invite_used"
    INVITE_REVOKED = "invite_revoked"
    INVITE_WRONG_ACCOUNT = "invite_wrong_account"
    RECOVERY_NOT_APPROVED = "recovery_not_approved"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    # envelopes
    NOT_PERMITTED = "not_permitted"
    ENVELOPE_TOO_LARGE = "envelope_too_large"
    TOO_MANY_ENVELOPES = "too_many_envelopes"
    MAILBOX_FULL = "mailbox_full"
    ID_REUSED = "id_reused"
    RATE_LIMITED = "rate_limited"
    BAD_ACK = "bad_ack"
    # prekeys
    NO_PREKEYS = "no_prekeys"
    TOO_MANY_PREKEYS = "too_many_prekeys"
    # accounts and cases
    UNKNOWN_ACCOUNT = "unknown_account"
    AMBIGUOUS_REFERENCE = "ambiguous_reference"
    UNKNOWN_CASE = "unknown_case"
    CASE_CLOSED = "case_closed"
    CAREGIVER_NAMELESS = "caregiver_nameless"
    LAST_ADMIN = "last_admin"
    UNKNOWN_HOLD = "unknown_hold"
    UNKNOWN_RECOVERY = "unknown_recovery"
    # groups
    NOT_A_MEMBER = "not_a_member"
    GROUP_RECORD_REFUSED = "group_record_refused"
    ALREADY_MEMBER = "already_member"
    MUTED = "muted"
    GROUP_CLOSED = "group_closed"
    # notifications
    PUSH_SERVICE_REFUSED = "push_service_refused"
    # the audit log
    AUDIT_LOG_DAMAGED = "audit_log_damaged"
    # attachments (blobs)
    BLOB_TOO_LARGE = "blob_too_large"
    QUOTA_EXCEEDED = "quota_exceeded"
    UNKNOWN_BLOB = "unknown_blob"
    BLOB_INCOMPLETE = "blob_incomplete"
    BAD_TOKEN = "bad_token"  # noqa: S105 (an error code, not a password)
    OFFSET_MISMATCH = "offset_mismatch"
    # reach figures
    PERIOD_OPEN = "period_open"
    NOT_ON_LIST = "not_on_list"
    # the relay itself
    UNAVAILABLE = "unavailable"
    INTERNAL_ERROR = "internal_error"


# What the person (or the developer of a client) should do, in one sentence each.
MESSAGES: dict[Code, str] = {
    Code.MALFORMED: "The event's data does not match the protocol; see PROTOCOL.md.",
    Code.PAYLOAD_TOO_LARGE: "The event is larger than the relay accepts; send fewer envelopes.",
    Code.UNKNOWN_EVENT: "The relay does not know this event; check the protocol version.",
    Code.NOT_AUTHENTICATED: "Authenticate first: ask for a challenge, then send auth.",
    Code.ALREADY_AUTHENTICATED: "This connection is already authenticated.",
    Code.NO_CHALLENGE: "Ask for a fresh challenge first; each one can be used once.",
    Code.BAD_SIGNATURE: "The signature does not match this connection's challenge.",
    Code.UNKNOWN_DEVICE: "No active device with this key is known.",
    Code.DEVICE_REVOKED: "This device was revoked and can never sign in again.",
    Code.DEVICE_EXISTS: "This device key is already registered; sign in with auth instead.",
    Code.ACCOUNT_DISABLED: "This account is disabled; ask your organisation's administrator.",
    Code.INVITE_INVALID: "This invite is not valid; ask for a new one.",
    Code.INVITE_EXPIRED: "This invite has expired; ask for a new one.",
    Code.INVITE_USED: "This invite was already used; ask for a new one.",
    Code.INVITE_REVOKED: (
        "The person or device that made this invite can no longer make it; ask for a new one."
    ),
    Code.INVITE_WRONG_ACCOUNT: (
        "This recovery link is for another account; ask your worker for a new one."
    ),
    Code.RECOVERY_NOT_APPROVED: (
        "This recovery link waits for a second worker's approval; try again once it has it."
    ),
    Code.TOO_MANY_ATTEMPTS: "Too many attempts; wait a minute and try again.",
    Code.TOO_MANY_CONNECTIONS: "This account has too many open connections; close one first.",
    Code.NOT_PERMITTED: (
        "You may not do this (you share no case with this person, or lack the role)."
    ),
    Code.ENVELOPE_TOO_LARGE: "The envelope is larger than the relay accepts.",
    Code.TOO_MANY_ENVELOPES: "Too many envelopes in one event; split the batch.",
    Code.MAILBOX_FULL: "The recipient's mailbox is full; try again later.",
    Code.ID_REUSED: (
        "This envelope id was already used for another body or recipient; use a fresh id."
    ),
    Code.RATE_LIMITED: "You are sending too fast; wait and resend with the same id.",
    Code.BAD_ACK: "The acknowledgement names an envelope that was not delivered.",
    Code.NO_PREKEYS: "This device has published no prekeys yet; try again once it has been online.",
    Code.TOO_MANY_PREKEYS: "The relay already holds the most one-time prekeys a device may have.",
    Code.UNKNOWN_ACCOUNT: "No such account in your organisation.",
    Code.AMBIGUOUS_REFERENCE: "More than one account begins with this code; give more of it.",
    Code.UNKNOWN_CASE: "No such case, or you are not on it.",
    Code.CASE_CLOSED: "This case is closed: its members can no longer send each other messages.",
    Code.LAST_ADMIN: "This is the organisation's last active administrator.",
    Code.CAREGIVER_NAMELESS: (
        "Only staff accounts get a name on the relay; a caregiver's name stays on the devices."
    ),
    Code.UNKNOWN_HOLD: "No such active legal hold in your organisation.",
    Code.UNKNOWN_RECOVERY: "No recovery invite with this id in your organisation.",
    Code.NOT_A_MEMBER: "You are not a member of this group (or there is no such group).",
    Code.GROUP_RECORD_REFUSED: "The group change was refused; 'reason' says why (docs/groups.md).",
    Code.ALREADY_MEMBER: "You are already a member of this group.",
    Code.MUTED: "A facilitator muted you in this group for a while; 'until' says how long.",
    Code.GROUP_CLOSED: "This group is closed: its members can no longer send messages.",
    Code.PUSH_SERVICE_REFUSED: (
        "The relay sends notifications only to the browsers' own push services (https)."
    ),
    Code.AUDIT_LOG_DAMAGED: (
        "The stored audit log does not add up ('detail' names the entry): the operator runs"
        " `steuntje audit verify --data` and investigates before anything is exported."
    ),
    Code.BLOB_TOO_LARGE: "The attachment is larger than the relay accepts ('limit' bytes).",
    Code.QUOTA_EXCEEDED: (
        "Your attachments waiting on the relay use up your quota; try again once they are fetched."
    ),
    Code.UNKNOWN_BLOB: "No such attachment on the relay (it may have been deleted); send it again.",
    Code.BLOB_INCOMPLETE: "The attachment has not been uploaded completely yet.",
    Code.BAD_TOKEN: "The attachment token is missing, wrong or expired; ask for a new one.",
    Code.OFFSET_MISMATCH: "The upload does not continue where the relay is; resume from 'offset'.",
    Code.PERIOD_OPEN: "Figures are made only for a period that has ended; choose an earlier one.",
    Code.NOT_ON_LIST: (
        "This wijk or team is not on the organisation's list; an administrator adds it first."
    ),
    Code.UNAVAILABLE: "The relay cannot store data right now; nothing was accepted. Retry later.",
    Code.INTERNAL_ERROR: "The relay hit a bug; nothing was accepted. Retry, and tell the operator.",
}


class RelayError(Exception):
    """An error reported to the client with a stable code; carries no user data."""

    def __init__(self, code: Code, message: str | None = None, **details: object) -> None:
        self.code = code
        self.message = message or MESSAGES[code]
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def to_wire(self) -> dict[str, object]:
        return {"code": str(self.code), "message": self.message, **self.details}


class ConfigError(RelayError):
    """The relay's configuration cannot be used; the message says which option and why."""

    def __init__(self, message: str) -> None:
        self.code = Code.INTERNAL_ERROR
        self.message = message
        self.details = {}
        Exception.__init__(self, message)
