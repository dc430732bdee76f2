"""questionnaire.json: signed questionnaire answers and onboarding statements (issue 18).

Built by generate.py (it imports `build` from here). Seeded: every key comes from
SHA-256 of a fixed label, every time is fixed. Each case is checked by `check_case` below
(Python, tests/test_questionnaires_vectors.py) and by clients/web/crypto/vectors-runner.js
through clients/web/lib/questionnaires.js; `want_err` is the reason code the check must
give (questionnaires/evidence.py REASONS), null when the case must verify.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from questionnaires.canonical import encode
from questionnaires.document import questionnaire_hash
from questionnaires.statements import (
    ANSWERS_LABEL,
    Signed,
    StatementError,
    answers_statement,
    check_fits,
    device_id_of,
    ed25519_sign,
    onboarding_statement,
    open_answers,
    open_onboarding,
    sign_answers,
    sign_onboarding,
    verify_answers,
    verify_onboarding,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "questionnaires" / "examples" / "hoe-gaat-het-mantelzorger.json"
SOURCE = "steuntje tests/vectors/questionnaire_cases.py (seeded), checked by Python and JS"
T0 = 1767225600
MESSAGE = "q5hKc3B0Zm9yVGVzdHMwMQ"
OTHER_MESSAGE = "b3RoZXJRdWVzdGlvbm5haXJl"
ORG = "org_4u96IRTWkTgB4hbtGYJ5rA"
CAREGIVER = "acc_Y2FyZWdpdmVyMDAwMDAwMA"
WORKER = "acc_d29ya2VyMDAwMDAwMDAwMA"


def seed(label: str) -> bytes:
    return hashlib.sha256(f"steuntje questionnaire vectors v1/{label}".encode()).digest()


def check_case(case: dict[str, Any]) -> str | None:
    """The reason code the case gives, or None if it verifies (the contract both ports keep)."""
    signed = Signed(case["statement"], case["signature"])
    if case["check"] == "onboarding":
        try:
            open_onboarding(signed)
        except StatementError:
            return "malformed"
        return None if verify_onboarding(signed) else "onboarding_invalid"
    try:
        statement = open_answers(signed)
    except StatementError:
        return "malformed"
    if questionnaire_hash(case["document"]) != statement["questionnaire"]:
        return "questionnaire_changed"
    if not verify_answers(signed):
        return "answers_changed"
    if statement["message"] != case["message"]:
        return "replay"
    try:
        check_fits(statement, case["document"])
    except StatementError:
        return "answers_do_not_fit"
    return None


def build() -> dict[str, Any]:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    caregiver, other, worker = seed("caregiver"), seed("other device"), seed("worker")
    answers = [{"item": item["id"], "choice": 2} for item in document["items"][:-1]]
    answers.append({"item": "wens", "text": "Iemand die één middag per week oppast."})
    statement = answers_statement(document, MESSAGE, answers, device_id_of(caregiver), "funder", T0)
    good = sign_answers(caregiver, statement)
    tests = [
        answers_case(
            "signed-answers",
            "the example questionnaire answered and signed; document canonical form and hash",
            document,
            good,
            None,
            canonical=encode(document).decode(),
            hash=questionnaire_hash(document),
            signing_seed=caregiver.hex(),
        )
    ]
    changed = copy.deepcopy(statement)
    changed["answers"][0]["choice"] = 3
    tests.append(
        answers_case(
            "answer-1-changed-2-to-3",
            "one answer changed after signing, the signature kept",
            document,
            Signed(encode(changed).decode(), good.signature),
            "answers_changed",
        )
    )
    edited = copy.deepcopy(document)
    edited["items"][0]["text"]["nl"] = "Had u genoeg tijd voor uzelf, ongeveer?"
    tests.append(
        answers_case(
            "questionnaire-item-1-text-changed",
            "the questionnaire's first question reworded: another exact version",
            edited,
            good,
            "questionnaire_changed",
        )
    )
    forged = copy.deepcopy(statement)
    tests.append(
        answers_case(
            "signed-by-other-device",
            "the statement names the caregiver's device but another device signed it",
            document,
            Signed(good.statement, _raw_sign(other, ANSWERS_LABEL + encode(forged))),
            "answers_changed",
        )
    )
    tests.append(
        answers_case(
            "replayed-to-other-questionnaire-message",
            "valid signed answers offered as the answer to another questionnaire message",
            document,
            good,
            "replay",
            message=OTHER_MESSAGE,
        )
    )
    tests.append(
        answers_case(
            "signature-bit-0-of-byte-0-flipped",
            "the signature's first byte XOR 1",
            document,
            Signed(good.statement, _flip(good.signature)),
            "answers_changed",
        )
    )
    tests.append(
        answers_case(
            "signature-without-label",
            "the caregiver's key signed the statement without its domain label",
            document,
            Signed(good.statement, _raw_sign(caregiver, good.statement.encode())),
            "answers_changed",
        )
    )
    tests.append(
        answers_case(
            "statement-with-space",
            "the same statement spelled with a space after a colon: not canonical",
            document,
            Signed(good.statement.replace('"format":', '"format": ', 1), good.signature),
            "malformed",
        )
    )
    tests.append(
        answers_case(
            "statement-keys-reordered",
            "the statement's first two keys swapped: not canonical",
            document,
            Signed(_reorder(good.statement), good.signature),
            "malformed",
        )
    )
    short = copy.deepcopy(statement)
    short["answers"] = short["answers"][:-1]
    tests.append(
        answers_case(
            "one-answer-left-out",
            "a statement signed over six answers for a questionnaire of seven items",
            document,
            sign_answers(caregiver, short),
            "answers_do_not_fit",
        )
    )
    onboarding = onboarding_statement(
        ORG, CAREGIVER, device_id_of(caregiver), WORKER, device_id_of(worker), T0 - 86400
    )
    vouched = sign_onboarding(worker, onboarding)
    tests.append(
        onboarding_case(
            "onboarding-statement", "a worker device's onboarding statement", vouched, None
        )
    )
    moved = dict(onboarding, device=device_id_of(other))
    tests.append(
        onboarding_case(
            "onboarding-device-replaced",
            "another caregiver device put into a signed onboarding statement",
            Signed(encode(moved).decode(), vouched.signature),
            "onboarding_invalid",
        )
    )
    return {
        "schema": "steuntje-e2e/questionnaire/v1",
        "description": "Signed questionnaire answers and onboarding statements "
        "(docs/accountability.md, questionnaires/statements.py).",
        "generator": "tests/vectors/generate.py (tests/vectors/questionnaire_cases.py)",
        "tests": tests,
    }


def answers_case(
    name: str,
    desc: str,
    document: dict[str, Any],
    signed: Signed,
    want_err: str | None,
    message: str = MESSAGE,
    **extra: Any,
) -> dict[str, Any]:
    case = {
        "name": name,
        "desc": desc,
        "source": SOURCE,
        "want_err": want_err,
        "check": "answers",
        "document": document,
        "message": message,
        "statement": signed.statement,
        "signature": signed.signature,
        **extra,
    }
    assert check_case(case) == want_err, name
    return case


def onboarding_case(name: str, desc: str, signed: Signed, want_err: str | None) -> dict[str, Any]:
    case = {
        "name": name,
        "desc": desc,
        "source": SOURCE,
        "want_err": want_err,
        "check": "onboarding",
        "statement": signed.statement,
        "signature": signed.signature,
    }
    assert check_case(case) == want_err, name
    return case


def _raw_sign(signing_seed: bytes, message: bytes) -> str:
    from questionnaires.statements import b64url

    return b64url(ed25519_sign(signing_seed, message))


def _flip(signature: str) -> str:
    from questionnaires.statements import b64url, unb64url

    raw = bytearray(unb64url(signature))
    raw[0] ^= 1
    return b64url(bytes(raw))


def _reorder(statement: str) -> str:
    parsed = json.loads(statement)
    keys = list(parsed)
    keys[0], keys[1] = keys[1], keys[0]
    return json.dumps({key: parsed[key] for key in keys}, separators=(",", ":"), ensure_ascii=False)
