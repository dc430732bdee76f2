"""A questionnaire as data (docs/accountability.md, "Signed questionnaires").

A document is a JSON object, every text in Dutch and English:

    {"format": "steuntje-questionnaire-1",
     "id": "mantelzorger-welzijn",          organisation's own name for it, [a-z0-9-]
     "version": "1",                        its own version label
     "title": {"nl": …, "en": …},
     "intro": {"nl": …, "en": …},
     "items": [
        {"id": "rust", "answer": "choice", "text": {…}, "options": [{…}, …]},   2..7 options
        {"id": "wens", "answer": "text", "text": {…}, "max": 500}]}

Its **exact version** is `questionnaire_hash(document)`: SHA-256 over a domain label and the
canonical JSON (canonical.py), in lower-case hex. A caregiver signs that hash, so changing
one letter of one question makes another questionnaire. Unknown keys are refused (not
ignored): everything in the document is covered by the hash and must mean something.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from questionnaires.canonical import CanonicalError, encode, parse

FORMAT = "steuntje-questionnaire-1"
HASH_LABEL = b"steuntje-questionnaire-v1\n"
LANGUAGES = ("en", "nl")
MAX_ITEMS = 40
MAX_OPTIONS = 7
MAX_TEXT_ANSWER = 1000
MAX_DOCUMENT_BYTES = 32_000  # fits one message's padding buckets with room to spare

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_ITEM_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,31}")
_VERSION = re.compile(r"[A-Za-z0-9.-]{1,20}")
_LIMITS = {"title": 120, "intro": 1000, "text": 300, "option": 80}


class QuestionnaireError(ValueError):
    """The document is not a valid questionnaire; the message says which part."""


def questionnaire_hash(document: dict[str, Any]) -> str:
    """The exact version: hex SHA-256 of the label and the canonical document."""
    validate(document)
    return hashlib.sha256(HASH_LABEL + encode(document)).hexdigest()


def encode_document(document: dict[str, Any]) -> bytes:
    validate(document)
    return encode(document)


def parse_document(data: bytes | str) -> dict[str, Any]:
    """A document from its canonical bytes (as carried in a `questionnaire` message)."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise QuestionnaireError("questionnaire too large")
    try:
        document = parse(data)
    except CanonicalError as error:
        raise QuestionnaireError(f"questionnaire: {error}") from None
    validate(document)
    return document


def validate(document: Any) -> None:
    """Raise QuestionnaireError unless ``document`` is a valid questionnaire."""
    _keys(document, {"format", "id", "version", "title", "intro", "items"}, "questionnaire")
    if document["format"] != FORMAT:
        raise QuestionnaireError("questionnaire: unknown format")
    if not _matches(_ID, document["id"]) or not _matches(_VERSION, document["version"]):
        raise QuestionnaireError("questionnaire: id or version has the wrong form")
    _texts(document["title"], "title", _LIMITS["title"], required=True)
    _texts(document["intro"], "intro", _LIMITS["intro"], required=False)
    items = document["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise QuestionnaireError(f"questionnaire: 1..{MAX_ITEMS} items")
    seen: set[str] = set()
    for index, item in enumerate(items):
        _item(item, f"item {index + 1}")
        if item["id"] in seen:
            raise QuestionnaireError(f"item {index + 1}: id used twice")
        seen.add(item["id"])
    try:
        size = len(encode(document))
    except CanonicalError as error:
        raise QuestionnaireError(f"questionnaire: {error}") from None
    if size > MAX_DOCUMENT_BYTES:
        raise QuestionnaireError("questionnaire too large")


def _item(item: Any, where: str) -> None:
    answer = item.get("answer") if isinstance(item, dict) else None
    if answer == "choice":
        _keys(item, {"id", "answer", "text", "options"}, where)
        options = item["options"]
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise QuestionnaireError(f"{where}: 2..{MAX_OPTIONS} options")
        for number, option in enumerate(options, 1):
            _texts(option, f"{where} option {number}", _LIMITS["option"], required=True)
    elif answer == "text":
        _keys(item, {"id", "answer", "text", "max"}, where)
        limit = item["max"]
        if type(limit) is not int or not 1 <= limit <= MAX_TEXT_ANSWER:
            raise QuestionnaireError(f"{where}: max is 1..{MAX_TEXT_ANSWER}")
    else:
        raise QuestionnaireError(f"{where}: answer is 'choice' or 'text'")
    if not _matches(_ITEM_ID, item["id"]):
        raise QuestionnaireError(f"{where}: id has the wrong form")
    _texts(item["text"], f"{where} text", _LIMITS["text"], required=True)


def _keys(value: Any, expected: set[str], where: str) -> None:
    if not isinstance(value, dict) or set(value) != expected:
        raise QuestionnaireError(f"{where}: expected exactly the keys {sorted(expected)}")


def _texts(value: Any, where: str, limit: int, *, required: bool) -> None:
    _keys(value, set(LANGUAGES), where)
    for language in LANGUAGES:
        text = value[language]
        if not isinstance(text, str) or len(text) > limit or (required and not text.strip()):
            raise QuestionnaireError(f"{where} ({language}): 1..{limit} characters")


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None
