"""Evidence bundles: signed questionnaires a municipality can check without trusting anyone's word.

The chain (docs/accountability.md, "Signed questionnaires"):

    organisation key ──vouch──▶ worker device ──onboarding──▶ caregiver device ──▶ answers

* **answers**: the caregiver's device signed them, with the questionnaire's exact version
  and the id of the questionnaire message they answer (statements.py);
* **onboarding**: the worker's device signed, when the worker compared the caregiver's
  safety number in person, that this device key is that caregiver account's;
* **vouch**: the organisation's key (the audit log's key, docs/audit.md §6) signed, as a
  C2SP signed note, that the worker device is one of its workers' devices. Its text:

      <key name>\\n  steuntje worker device v1\\n  <org>\\n  <worker account>\\n
      <worker device>\\n  <time>\\n

  The second line keeps it apart from a checkpoint (whose second line is a tree size).

A bundle (JSON, not itself signed: everything in it that matters is):

    {"format": "steuntje-questionnaire-evidence-1", "made_at": …,
     "questionnaires": [document, …],
     "entries": [{"participant": "Deelnemer 1", "message": <questionnaire message id>,
                  "answers": {"statement", "signature"}, "onboarding": {…} | absent}],
     "vouches": [<signed note>, …]}

`verify_bundle` gives one verdict per entry with a reason code from REASONS. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit.checkpoint import sign_note
from audit.errors import NoteError
from audit.note_verify import VerifierKey, parse_verifier_key, verify_note
from questionnaires.document import QuestionnaireError, questionnaire_hash, validate
from questionnaires.statements import (
    Signed,
    StatementError,
    check_fits,
    open_answers,
    open_onboarding,
    verify_answers,
    verify_onboarding,
)

BUNDLE_FORMAT = "steuntje-questionnaire-evidence-1"
VOUCH_TAG = "steuntje worker device v1"
MAX_ENTRIES = 10_000

# reason code -> what it means, for the CLI and the web app's verify screen (English; the
# web app has its own Dutch words for the same codes).
REASONS = {
    "malformed": "this entry cannot be read",
    "questionnaire_changed": "the questionnaire in the bundle is not the exact version "
    "the caregiver signed (its hash differs)",
    "answers_changed": "the signature does not match: an answer, the time or the device "
    "was changed after signing",
    "replay": "these signed answers belong to another questionnaire message (or appear twice)",
    "no_onboarding": "no onboarding statement: nothing ties the signing key to a person "
    "the organisation met",
    "onboarding_invalid": "the onboarding statement's signature does not match",
    "other_device": "signed by another device than the one the organisation onboarded "
    "for this person",
    "answers_do_not_fit": "the answers do not fit the questionnaire's items",
    "no_consent": "the caregiver did not agree to share these answers with the funder",
    "worker_not_vouched": "the organisation's key does not vouch for the worker's device "
    "that made the onboarding statement",
}


class BundleError(ValueError):
    """The bundle as a whole cannot be read."""


@dataclass(frozen=True, slots=True)
class Verdict:
    index: int
    participant: str
    reason: str | None  # None: verified
    scores: tuple[tuple[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return self.reason is None


# -- the organisation's vouch ----------------------------------------------------------------


def vouch_text(key_name: str, org: str, worker_account: str, worker_device: str, at: int) -> str:
    return f"{key_name}\n{VOUCH_TAG}\n{org}\n{worker_account}\n{worker_device}\n{at}\n"


def sign_vouch(
    signing_key: bytes, key_name: str, org: str, worker_account: str, worker_device: str, at: int
) -> str:
    """A signed note by the organisation's key: this worker device is one of ours."""
    return sign_note(
        vouch_text(key_name, org, worker_account, worker_device, at), key_name, signing_key
    )


def vouched_devices(notes: list[Any], org_key: VerifierKey) -> set[tuple[str, str]]:
    """(org, worker device) pairs the organisation's key verifiably vouches for."""
    vouched = set()
    for note in notes:
        if not isinstance(note, str):
            continue
        try:
            text = verify_note(note, [org_key]).text
        except NoteError:
            continue
        lines = text.split("\n")
        if len(lines) == 7 and lines[0] == org_key.name and lines[1] == VOUCH_TAG:
            vouched.add((lines[2], lines[4]))
    return vouched


# -- building --------------------------------------------------------------------------------


def make_bundle(
    documents: list[dict[str, Any]], entries: list[dict[str, Any]], made_at: int
) -> dict[str, Any]:
    """A bundle; `entries` are {participant, message, answers, onboarding?} as in the format."""
    for document in documents:
        validate(document)
    return {
        "format": BUNDLE_FORMAT,
        "made_at": made_at,
        "questionnaires": documents,
        "entries": entries,
        "vouches": [],
    }


# -- verifying -------------------------------------------------------------------------------


def verify_bundle(bundle: Any, org_key: VerifierKey | str) -> list[Verdict]:
    """One verdict per entry; raises BundleError if the bundle itself is unreadable."""
    key = parse_verifier_key(org_key) if isinstance(org_key, str) else org_key
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError("not a questionnaire evidence bundle")
    entries, documents = bundle.get("entries"), bundle.get("questionnaires")
    if (
        not isinstance(entries, list)
        or not isinstance(documents, list)
        or len(entries) > MAX_ENTRIES
    ):
        raise BundleError("a bundle has lists of questionnaires and entries")
    by_hash: dict[str, dict[str, Any]] = {}
    for document in documents:
        try:
            by_hash[questionnaire_hash(document)] = document
        except QuestionnaireError:
            continue  # an edited document simply matches no signature
    vouches = bundle.get("vouches")
    vouched = vouched_devices(vouches if isinstance(vouches, list) else [], key)
    seen: set[str] = set()
    verdicts = []
    for index, entry in enumerate(entries):
        participant = entry.get("participant") if isinstance(entry, dict) else None
        name = participant if isinstance(participant, str) else f"#{index + 1}"
        reason, scores = _check_entry(entry, by_hash, vouched, seen)
        verdicts.append(Verdict(index, name, reason, scores))
    return verdicts


def _check_entry(
    entry: Any,
    by_hash: dict[str, dict[str, Any]],
    vouched: set[tuple[str, str]],
    seen: set[str],
) -> tuple[str | None, tuple[tuple[str, Any], ...]]:
    answers_part = _signed(entry.get("answers")) if isinstance(entry, dict) else None
    if answers_part is None:
        return "malformed", ()
    try:
        statement = open_answers(answers_part)
    except StatementError:
        return "malformed", ()
    document = by_hash.get(statement["questionnaire"])
    if document is None:
        return "questionnaire_changed", ()
    if not verify_answers(answers_part):
        return "answers_changed", ()
    if statement["message"] != entry.get("message") or statement["message"] in seen:
        return "replay", ()
    seen.add(statement["message"])
    onboarding_part = _signed(entry.get("onboarding"))
    if onboarding_part is None:
        return "no_onboarding", ()
    try:
        onboarding = open_onboarding(onboarding_part)
    except StatementError:
        return "onboarding_invalid", ()
    if not verify_onboarding(onboarding_part):
        return "onboarding_invalid", ()
    if onboarding["device"] != statement["device"]:
        return "other_device", ()
    try:
        check_fits(statement, document)
    except StatementError:
        return "answers_do_not_fit", ()
    if statement["share"] != "funder":
        return "no_consent", ()
    if (onboarding["org"], onboarding["worker_device"]) not in vouched:
        return "worker_not_vouched", ()
    scores = tuple(
        (answer["item"], answer.get("choice", answer.get("text")))
        for answer in statement["answers"]
    )
    return None, scores


def _signed(part: Any) -> Signed | None:
    if not isinstance(part, dict):
        return None
    statement, signature = part.get("statement"), part.get("signature")
    if not isinstance(statement, str) or not isinstance(signature, str):
        return None
    return Signed(statement, signature)
