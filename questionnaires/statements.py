"""Signed statements: a caregiver's answers, and a worker's word that a key is that caregiver's.

Both are canonical JSON (canonical.py) signed with a device's Ed25519 identity key, the
key that already signs its prekeys (docs/e2e.md §2.1), over a NUL-terminated label first,
as every device signature in Steuntje is; so an answers signature can never pass as an
authentication or a prekey signature, nor the other way round:

    signature = SIGN(signing_seed, "steuntje/v1/sig/questionnaire-answers\\0" ‖ statement)
    signature = SIGN(signing_seed, "steuntje/v1/sig/onboarding\\0" ‖ statement)

**Answers** (signed by the caregiver's device):

    {"format": "steuntje-questionnaire-answers-1",
     "questionnaire": <hex hash of the exact version>,
     "message": <id of the `questionnaire` message being answered>,   no replay elsewhere
     "answers": [{"item": id, "choice": 1..n} | {"item": id, "text": "…"}],  item order
     "device": <the signing device's id: base64url Ed25519 key>,
     "share": "funder" | "worker",   may the worker pass it on to the funder (consent)
     "signed_at": <Unix seconds>}

**Onboarding** (signed by the worker's device, when the worker compared the caregiver's
safety number in person):

    {"format": "steuntje-onboarding-1", "org": …, "account": <caregiver account>,
     "device": <caregiver device id>, "worker_account": …, "worker_device": …,
     "how": "safety_number", "at": <Unix seconds>}

Signing takes the signing seed and the time as parameters; nothing here reads a clock.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions

from questionnaires.canonical import CanonicalError, encode, parse
from questionnaires.document import QuestionnaireError, questionnaire_hash

ANSWERS_FORMAT = "steuntje-questionnaire-answers-1"
ONBOARDING_FORMAT = "steuntje-onboarding-1"
ANSWERS_LABEL = b"steuntje/v1/sig/questionnaire-answers\x00"
ONBOARDING_LABEL = b"steuntje/v1/sig/onboarding\x00"
SHARE_CHOICES = ("funder", "worker")
ONBOARDING_METHODS = ("safety_number",)

_HASH = re.compile(r"[0-9a-f]{64}")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{16,43}")
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_ACCOUNT_ID = re.compile(r"acc_[A-Za-z0-9_-]{22}")
_ORG_ID = re.compile(r"org_[A-Za-z0-9_-]{22}")


class StatementError(ValueError):
    """A statement is malformed (not: its signature fails; that is `verify_*` returning False)."""


@dataclass(frozen=True, slots=True)
class Signed:
    """A statement's canonical bytes (as text) and its signature (base64url)."""

    statement: str
    signature: str

    def to_json(self) -> dict[str, str]:
        return {"statement": self.statement, "signature": self.signature}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Strict base64url without padding: one spelling per value."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise StatementError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise StatementError("not base64url") from None
    if b64url(data) != text:
        raise StatementError("not the canonical base64url")
    return data


def device_id_of(signing_seed: bytes) -> str:
    public_key, _ = sodium.crypto_sign_seed_keypair(signing_seed)
    return b64url(public_key)


def ed25519_sign(signing_seed: bytes, message: bytes) -> bytes:
    """libsodium's Ed25519, as crypto/ signs (this package may not import crypto/: the
    relay's `steuntje questionnaire` commands use it, and the relay never imports crypto/)."""
    _, secret_key = sodium.crypto_sign_seed_keypair(signing_seed)
    return sodium.crypto_sign(message, secret_key)[:64]


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """libsodium's strict verification (canonical S, no small-order R or key)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.CryptoError:
        return False
    return True


# -- answers ---------------------------------------------------------------------------


def answers_statement(
    document: dict[str, Any],
    message_id: str,
    answers: list[dict[str, Any]],
    device: str,
    share: str,
    signed_at: int,
) -> dict[str, Any]:
    """The statement a caregiver signs; raises StatementError if the answers do not fit."""
    statement = {
        "format": ANSWERS_FORMAT,
        "questionnaire": questionnaire_hash(document),
        "message": message_id,
        "answers": answers,
        "device": device,
        "share": share,
        "signed_at": signed_at,
    }
    check_answers_statement(statement)
    check_fits(statement, document)
    return statement


def sign_answers(signing_seed: bytes, statement: dict[str, Any]) -> Signed:
    check_answers_statement(statement)
    if statement["device"] != device_id_of(signing_seed):
        raise StatementError("the statement names another device than the one signing")
    return _sign(signing_seed, ANSWERS_LABEL, statement)


def open_answers(signed: Signed) -> dict[str, Any]:
    """The statement, parsed and checked for form (not its signature: `verify_answers`)."""
    statement = _parse(signed.statement)
    check_answers_statement(statement)
    return statement


def verify_answers(signed: Signed) -> bool:
    """True when the statement's own device signed exactly these bytes."""
    statement = open_answers(signed)
    return _verify(statement["device"], ANSWERS_LABEL, signed)


def check_answers_statement(statement: Any) -> None:
    _keys(
        statement, {"format", "questionnaire", "message", "answers", "device", "share", "signed_at"}
    )
    if statement["format"] != ANSWERS_FORMAT:
        raise StatementError("unknown answers format")
    _form(_HASH, statement["questionnaire"], "questionnaire hash")
    _form(_MESSAGE_ID, statement["message"], "message id")
    _form(_DEVICE_ID, statement["device"], "device id")
    if statement["share"] not in SHARE_CHOICES:
        raise StatementError("share is 'funder' or 'worker'")
    _time(statement["signed_at"])
    if not isinstance(statement["answers"], list):
        raise StatementError("answers is a list")
    for answer in statement["answers"]:
        if (
            not isinstance(answer, dict)
            or len(answer) != 2
            or not isinstance(answer.get("item"), str)
        ):
            raise StatementError("an answer is {item, choice} or {item, text}")
        if "choice" in answer and type(answer["choice"]) is int:
            continue
        if "text" in answer and isinstance(answer["text"], str):
            continue
        raise StatementError("an answer is {item, choice} or {item, text}")


def check_fits(statement: dict[str, Any], document: dict[str, Any]) -> None:
    """The answers answer exactly this questionnaire's items, in order, within range."""
    items = document["items"]
    answers = statement["answers"]
    if [answer["item"] for answer in answers] != [item["id"] for item in items]:
        raise StatementError("the answers do not follow the questionnaire's items")
    for item, answer in zip(items, answers, strict=True):
        if item["answer"] == "choice":
            if not 1 <= answer.get("choice", 0) <= len(item["options"]):
                raise StatementError(f"answer to {item['id']} is not one of its options")
        elif len(answer.get("text", "x" * (item["max"] + 1))) > item["max"]:
            raise StatementError(f"answer to {item['id']} is not a text within its limit")


# -- onboarding ------------------------------------------------------------------------


def onboarding_statement(
    org: str, account: str, device: str, worker_account: str, worker_device: str, at: int
) -> dict[str, Any]:
    statement = {
        "format": ONBOARDING_FORMAT,
        "org": org,
        "account": account,
        "device": device,
        "worker_account": worker_account,
        "worker_device": worker_device,
        "how": "safety_number",
        "at": at,
    }
    check_onboarding_statement(statement)
    return statement


def sign_onboarding(signing_seed: bytes, statement: dict[str, Any]) -> Signed:
    check_onboarding_statement(statement)
    if statement["worker_device"] != device_id_of(signing_seed):
        raise StatementError("the statement names another worker device than the one signing")
    return _sign(signing_seed, ONBOARDING_LABEL, statement)


def open_onboarding(signed: Signed) -> dict[str, Any]:
    statement = _parse(signed.statement)
    check_onboarding_statement(statement)
    return statement


def verify_onboarding(signed: Signed) -> bool:
    statement = open_onboarding(signed)
    return _verify(statement["worker_device"], ONBOARDING_LABEL, signed)


def check_onboarding_statement(statement: Any) -> None:
    keys = {"format", "org", "account", "device", "worker_account", "worker_device", "how", "at"}
    _keys(statement, keys)
    if statement["format"] != ONBOARDING_FORMAT:
        raise StatementError("unknown onboarding format")
    _form(_ORG_ID, statement["org"], "organisation id")
    _form(_ACCOUNT_ID, statement["account"], "account id")
    _form(_ACCOUNT_ID, statement["worker_account"], "worker account id")
    _form(_DEVICE_ID, statement["device"], "device id")
    _form(_DEVICE_ID, statement["worker_device"], "worker device id")
    if statement["how"] not in ONBOARDING_METHODS:
        raise StatementError("unknown onboarding method")
    _time(statement["at"])


# -- shared ----------------------------------------------------------------------------


def _sign(signing_seed: bytes, label: bytes, statement: dict[str, Any]) -> Signed:
    data = encode(statement)
    return Signed(data.decode("utf-8"), b64url(ed25519_sign(signing_seed, label + data)))


def _verify(device: str, label: bytes, signed: Signed) -> bool:
    try:
        signature = unb64url(signed.signature)
        public_key = unb64url(device)
    except StatementError:
        return False
    return ed25519_verify(public_key, label + signed.statement.encode("utf-8"), signature)


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatementError("a statement is a string of canonical JSON")
    try:
        return parse(text)
    except (CanonicalError, QuestionnaireError) as error:
        raise StatementError(f"statement: {error}") from None


def _keys(value: Any, expected: set[str]) -> None:
    if not isinstance(value, dict) or set(value) != expected:
        raise StatementError(f"expected exactly the keys {sorted(expected)}")


def _form(pattern: re.Pattern[str], value: Any, what: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise StatementError(f"{what} has the wrong form")


def _time(value: Any) -> None:
    if type(value) is not int or not 0 <= value < 2**40:
        raise StatementError("a time is Unix seconds")
