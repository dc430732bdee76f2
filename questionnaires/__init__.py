"""Signed questionnaires (issue 18): the format, its exact version, signed answers, evidence.

Pure: no I/O, no clock, no randomness. The pieces, one concern each:

* ``canonical``  the one byte spelling of everything hashed or signed
* ``document``   a questionnaire as data and its hash (the exact version)
* ``statements`` a caregiver's signed answers and a worker's onboarding statement
* ``evidence``   bundles for the funder, the organisation's vouch, verification with reasons

The web app's port is clients/web/lib/questionnaires.js; tests/vectors/questionnaire.json
pins the encoding for both. docs/accountability.md explains the chain of trust.
"""

from questionnaires.canonical import CanonicalError
from questionnaires.document import QuestionnaireError, parse_document, questionnaire_hash
from questionnaires.evidence import REASONS, BundleError, Verdict, make_bundle, verify_bundle
from questionnaires.statements import Signed, StatementError

__all__ = [
    "REASONS",
    "BundleError",
    "CanonicalError",
    "QuestionnaireError",
    "Signed",
    "StatementError",
    "Verdict",
    "make_bundle",
    "parse_document",
    "questionnaire_hash",
    "verify_bundle",
]
