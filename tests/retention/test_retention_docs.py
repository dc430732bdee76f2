"""docs/retention.md stays true: its examples load, its error messages are the real ones,
and it documents every setting and every row of the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from retention.errors import PolicyError
from retention.lifetimes import LIFETIMES
from retention.policy import OrganisationPolicy
from retention.report import report
from retention.serialise import hold_from_dict, organisation_from_dict, organisation_to_dict

DOC = (Path(__file__).resolve().parents[2] / "docs" / "retention.md").read_text(encoding="utf-8")


def json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", DOC, flags=re.S)


def test_the_policy_and_hold_examples_load():
    policy, hold = (json.loads(block) for block in json_blocks())
    assert organisation_from_dict(policy).envelope_lifetime.maximum == 30 * 86_400
    assert hold_from_dict(hold).reference == "KL-2024-17"


def test_every_setting_is_documented():
    for key, value in organisation_to_dict(OrganisationPolicy()).items():
        names = [f"{key}.{sub}" for sub in value] if isinstance(value, dict) else [key]
        for name in names if key != "version" else []:
            assert f"`{name}`" in DOC, name


def section_8_rows() -> list[str]:
    section = DOC.split("## 8.")[1].split("### Suggested legal basis")[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return lines[1:]  # without the header; the |---| line does not start with "| "


def test_every_stored_table_and_every_report_row_is_in_the_table():
    rows = section_8_rows()
    for entry in LIFETIMES:
        assert f"| {entry.table}: {', '.join(entry.columns)} |" in DOC, entry.table
    assert len(rows) == len(report(OrganisationPolicy()))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"version": 1, "envelope_lifetime": {"maximum": "120d"}},
            "envelope_lifetime.maximum: must be between 1 hour and 90 days (got 120 days)",
        ),
        (
            {"version": 1, "inactive_accounts": {"remove_after": "200d"}},
            "inactive_accounts.remove_after: must not exceed inactive_accounts.flag_after"
            " (180 days) (got 200 days)",
        ),
    ],
)
def test_the_documented_error_messages_are_the_real_ones(data, message):
    with pytest.raises(PolicyError) as raised:
        organisation_from_dict(data)
    assert str(raised.value) == message
    assert f"`{message}`" in DOC
