"""Deep nesting is a named, malformed-entry verdict, never a RecursionError (issue 13 item 11).

Python's json decoder recurses once per bracket; 1,000 of them fit in an entry's 4,096 bytes
and in any bundle line. The depth is bounded before decoding, in ``decode`` and in
``verify_bundle``, and ``steuntje audit verify`` on such a file says so in one line.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from audit import ENTRY_PREFIX, EntryError, decode, verify_bundle
from audit.nesting import MAX_DEPTH, too_deep

DEEP = [
    "[" * 1000,  # unterminated, as in the issue
    "[" * 1000 + "]" * 1000,  # valid JSON, just deep
    '{"a":' * 600 + "1" + "}" * 600,  # 600 levels within the 4,096 bytes
    '{"event":' + "[" * 999 + "]" * 999 + "}",
]


@pytest.mark.parametrize("text", DEEP, ids=["open", "closed", "objects", "in-a-field"])
def test_a_deeply_nested_entry_body_is_refused_by_name(text):
    with pytest.raises(EntryError, match="nested deeper than"):
        decode(ENTRY_PREFIX + text.encode())


def test_the_bound_is_exact_and_ignores_brackets_inside_strings():
    assert not too_deep("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert too_deep("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert not too_deep('["' + "[" * 1000 + '"]')  # text, not nesting
    assert not too_deep('["\\"' + "{" * 50 + '"]')  # an escaped quote does not end it
    assert not too_deep("[" + "[],{}," * 500 + "[]]")  # many, but side by side


@pytest.mark.parametrize("text", DEEP[:3], ids=["open", "closed", "objects"])
def test_a_deeply_nested_bundle_line_is_a_malformed_verdict(log20, text):
    lines = log20.bundle((5, 12, 20)).splitlines(keepends=True)
    lines.insert(1, text + "\n")
    report = verify_bundle("".join(lines), log20.vkey)
    assert not report.ok and report.problem.code == "malformed"
    assert report.problem.line == 2 and "nested deeper than" in report.problem.reason


def steuntje(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "relay", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("where", [0, 1, 3], ids=["header", "entry", "later-entry"])
def test_the_cli_names_a_deep_line_in_one_line_and_exits_non_zero(log20, tmp_path, where):
    lines = log20.bundle((5, 12, 20)).splitlines(keepends=True)
    lines[where] = "[" * 1000 + "\n"
    path = tmp_path / "deep.jsonl"
    path.write_text("".join(lines))
    result = steuntje("verify", str(path), "--key", log20.vkey)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("FAILED (malformed)")
    assert f"line {where + 1}" in result.stdout and "nested deeper than" in result.stdout


def test_without_key_a_deep_header_is_refused_in_one_line(log20, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 1000 + "\n")
    result = steuntje("verify", str(path))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "steuntje: the bundle's first line names no verifier key; pass --key"
    )
