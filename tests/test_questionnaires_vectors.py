"""tests/vectors/questionnaire.json in Python: every case gives its `want_err` (the browser
runs the same file in tests/web/test_js_vectors.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parent / "vectors"


def _cases_module():
    spec = importlib.util.spec_from_file_location(
        "steuntje_questionnaire_cases", VECTORS / "questionnaire_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases_module()
FILE = json.loads((VECTORS / "questionnaire.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", FILE["tests"], ids=[case["name"] for case in FILE["tests"]])
def test_case(case):
    assert CASES.check_case(case) == case["want_err"]


def test_the_file_has_must_fail_cases_for_each_reason():
    reasons = {case["want_err"] for case in FILE["tests"]}
    expected = {"answers_changed", "questionnaire_changed", "replay", "malformed"}
    assert expected | {"answers_do_not_fit", "onboarding_invalid", None} <= reasons


def test_the_positive_case_pins_the_hash_and_canonical_form():
    from questionnaires.canonical import encode
    from questionnaires.document import questionnaire_hash

    first = FILE["tests"][0]
    assert first["want_err"] is None
    assert encode(first["document"]).decode() == first["canonical"]
    assert questionnaire_hash(first["document"]) == first["hash"]
