"""Policies and holds to and from plain, JSON-able dicts (a config file, a database row).

Loading goes through the same constructors as code does, so a dict is validated exactly
like a value built in Python. Durations are written as short strings ("14d", see
durations.py); instants (placed_at, ...) as Unix seconds. Unknown keys are an error, not
ignored: in a config file they are almost always a typo of a setting that would then
silently keep its default.

    {"version": 1,
     "envelope_lifetime": {"default": "14d", "minimum": "1d", "maximum": "90d"},
     "disappearing_timer": {"default": "30d", "minimum": "1h", "maximum": "1y",
                            "off_allowed": false},
     "metadata_lifetime": "30d",
     "inactive_accounts": {"flag_after": "180d", "remove_after": "30d"},
     "closed_case_lifetime": "30d", "audit_retention": "5y", "invite_grace": "7d",
     "recovery_issuers": "case_workers"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from retention.durations import format_duration, parse_duration
from retention.errors import PolicyError
from retention.holds import HOLD_SCOPES, LegalHold
from retention.policy import (
    OFF,
    CasePolicy,
    DisappearingTimer,
    EnvelopeLifetime,
    InactiveAccounts,
    OrganisationPolicy,
    TimerSetting,
)

FORMAT_VERSION = 1  # raised when a key changes meaning; adding a key with a default does not

_DURATIONS = ("metadata_lifetime", "closed_case_lifetime", "audit_retention", "invite_grace")


def _mapping(name: str, data: object, accepted: tuple[str, ...]) -> Mapping[str, Any]:
    """`data` as a mapping with no keys but `accepted`. A top-level `name` is in brackets
    ("(policy)"): it names the whole object, and its keys are named without a prefix."""
    if not isinstance(data, Mapping):
        raise PolicyError(name, f"must be an object with keys {', '.join(accepted)}")
    unknown = sorted(set(data) - set(accepted))
    if unknown:
        where = unknown[0] if name.startswith("(") else f"{name}.{unknown[0]}"
        raise PolicyError(where, f"is not a setting (accepted: {', '.join(accepted)})")
    return data


def format_setting(value: TimerSetting) -> str:
    """A timer setting as config text: seconds → "30d", "off" stays "off"."""
    return OFF if value == OFF else format_duration(value)


def parse_setting(name: str, value: object) -> TimerSetting:
    """The inverse of format_setting, with PolicyError naming `name`."""
    if value == OFF:
        return OFF
    try:
        return parse_duration(name, value)
    except PolicyError as error:
        raise PolicyError(name, f'{error.problem}, or "off"') from None


def _durations(name: str, data: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: parse_duration(f"{name}.{key}", data[key]) for key in keys if key in data}


def organisation_from_dict(data: Mapping[str, Any]) -> OrganisationPolicy:
    """An OrganisationPolicy from a dict; missing keys take the defaults."""
    top = _mapping(
        "(policy)",
        data,
        (
            "version",
            "envelope_lifetime",
            "disappearing_timer",
            "inactive_accounts",
            "recovery_issuers",
            *_DURATIONS,
        ),
    )
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT_VERSION:
        raise PolicyError("version", f"must be {FORMAT_VERSION} (got {version!r})")
    parts: dict[str, Any] = {key: parse_duration(key, top[key]) for key in _DURATIONS if key in top}
    if "envelope_lifetime" in top:
        keys = ("default", "minimum", "maximum")
        section = _mapping("envelope_lifetime", top["envelope_lifetime"], keys)
        parts["envelope_lifetime"] = EnvelopeLifetime(
            **_durations("envelope_lifetime", section, keys)
        )
    if "disappearing_timer" in top:
        name = "disappearing_timer"
        section = _mapping(name, top[name], ("default", "minimum", "maximum", "off_allowed"))
        timer: dict[str, Any] = _durations(name, section, ("minimum", "maximum"))
        if "default" in section:
            timer["default"] = parse_setting(f"{name}.default", section["default"])
        if "off_allowed" in section:
            timer["off_allowed"] = section["off_allowed"]
        parts[name] = DisappearingTimer(**timer)
    if "inactive_accounts" in top:
        keys = ("flag_after", "remove_after")
        section = _mapping("inactive_accounts", top["inactive_accounts"], keys)
        parts["inactive_accounts"] = InactiveAccounts(
            **_durations("inactive_accounts", section, keys)
        )
    if "recovery_issuers" in top:  # a word, checked by OrganisationPolicy
        parts["recovery_issuers"] = top["recovery_issuers"]
    return OrganisationPolicy(**parts)


def organisation_to_dict(policy: OrganisationPolicy) -> dict[str, Any]:
    """Every setting, so the dump documents what applies, defaults included."""
    envelope, timer, inactive = (
        policy.envelope_lifetime,
        policy.disappearing_timer,
        policy.inactive_accounts,
    )
    return {
        "version": FORMAT_VERSION,
        "envelope_lifetime": {
            "default": format_duration(envelope.default),
            "minimum": format_duration(envelope.minimum),
            "maximum": format_duration(envelope.maximum),
        },
        "disappearing_timer": {
            "default": format_setting(timer.default),
            "minimum": format_duration(timer.minimum),
            "maximum": format_duration(timer.maximum),
            "off_allowed": timer.off_allowed,
        },
        "metadata_lifetime": format_duration(policy.metadata_lifetime),
        "inactive_accounts": {
            "flag_after": format_duration(inactive.flag_after),
            "remove_after": format_duration(inactive.remove_after),
        },
        "closed_case_lifetime": format_duration(policy.closed_case_lifetime),
        "audit_retention": format_duration(policy.audit_retention),
        "invite_grace": format_duration(policy.invite_grace),
        "recovery_issuers": policy.recovery_issuers,
    }


def case_from_dict(data: Mapping[str, Any]) -> CasePolicy:
    """A CasePolicy; a missing or null setting means "the organisation's default"."""
    keys = ("case_id", "envelope_lifetime", "disappearing_timer")
    section = _mapping("(case policy)", data, keys)
    lifetime = section.get("envelope_lifetime")
    timer = section.get("disappearing_timer")
    return CasePolicy(
        case_id=section.get("case_id"),  # type: ignore[arg-type]  # CasePolicy checks it
        envelope_lifetime=(
            None if lifetime is None else parse_duration("envelope_lifetime", lifetime)
        ),
        disappearing_timer=(None if timer is None else parse_setting("disappearing_timer", timer)),
    )


def case_to_dict(case: CasePolicy) -> dict[str, Any]:
    """JSON-able data that case_from_dict turns back into an equal CasePolicy."""
    return {
        "case_id": case.case_id,
        "envelope_lifetime": (
            None if case.envelope_lifetime is None else format_duration(case.envelope_lifetime)
        ),
        "disappearing_timer": (
            None if case.disappearing_timer is None else format_setting(case.disappearing_timer)
        ),
    }


_HOLD_KEYS = (
    "case_id",
    "scope",
    "reason",
    "reference",
    "placed_at",
    "review_at",
    "ends_at",
    "lifted_at",
)


def hold_from_dict(data: Mapping[str, Any]) -> LegalHold:
    """A LegalHold; "scope" is a list of HOLD_SCOPES or the word "all"."""
    section = _mapping("(legal hold)", data, _HOLD_KEYS)
    for key in _HOLD_KEYS[:6]:
        if key not in section:
            raise PolicyError(key, "is required")
    values = {key: section.get(key) for key in _HOLD_KEYS}
    if values["scope"] == "all":
        values["scope"] = frozenset(HOLD_SCOPES)
    return LegalHold(**values)


def hold_to_dict(hold: LegalHold) -> dict[str, Any]:
    """JSON-able data that hold_from_dict turns back into an equal LegalHold."""
    data = {key: getattr(hold, key) for key in _HOLD_KEYS}
    data["scope"] = sorted(hold.scope)
    return data
