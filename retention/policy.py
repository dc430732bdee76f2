"""Retention policies as data: an organisation's limits and defaults, and per-case overrides.

    OrganisationPolicy            limits and defaults for everything the relay keeps
      .envelope_lifetime          EnvelopeLifetime(default, minimum, maximum)
      .disappearing_timer         DisappearingTimer(default, minimum, maximum, off_allowed)
      .inactive_accounts          InactiveAccounts(flag_after, remove_after)
    CasePolicy                    one case's wishes: envelope lifetime, disappearing timer
    effective(org, case)          → EffectivePolicy: the case's wishes clamped to the limits

Every duration is whole seconds. Every class validates itself when built and raises
PolicyError naming the field, so an impossible policy cannot exist as a value. Dicts (for a
config file or the database) go through the same constructors: see retention/serialise.py.

A case override outside the organisation's limits is *not* an error: it is stored as asked
and clamped every time it is used (when data is written and again at purge time), and the
clamp is reported. Limits change; a case setting made under the old limits must neither
block loading nor keep data longer than the new limits allow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from retention.durations import DAY, HOUR, MINUTE, YEAR, describe
from retention.errors import PolicyError
from retention.lifetimes import INVITE_GRACE_S

OFF: Literal["off"] = "off"  # a disappearing timer that never deletes
# Who may issue a recovery invite (issue 20): a worker on the caregiver's case alone, or
# such a worker with a second, different worker's approval before it can be redeemed.
RECOVERY_ISSUERS = ("case_workers", "case_workers_with_approval")
TimerSetting = int | Literal["off"]

# The widest limits any organisation may choose, by dotted field name. These are the
# relay's promises in docs/retention.md; an organisation narrows them, never widens them.
BOUNDS: dict[str, tuple[int, int]] = {
    # 90 days is also RelayConfig's ceiling: store-and-forward, not an archive.
    "envelope_lifetime": (1 * HOUR, 90 * DAY),
    "disappearing_timer": (5 * MINUTE, 5 * YEAR),
    "metadata_lifetime": (1 * DAY, 90 * DAY),
    # Below 30 days, a holiday or a hospital stay would count as "inactive".
    "inactive_accounts.flag_after": (30 * DAY, 3 * YEAR),
    # The person must have time to see the notice and connect once.
    "inactive_accounts.remove_after": (7 * DAY, 1 * YEAR),
    "closed_case_lifetime": (0, 1 * YEAR),
    # At least a year, so an annual review still finds the accountability evidence.
    "audit_retention": (1 * YEAR, 20 * YEAR),
    "invite_grace": (0, 30 * DAY),
}


def _seconds(name: str, value: object, *, bounds: tuple[int, int] | None = None) -> int:
    """Check a duration already in seconds (a constructor argument); return it."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise PolicyError(name, f"must be a whole number of seconds (got {value!r})")
    low, high = bounds if bounds is not None else (1, None)
    if value < low or (high is not None and value > high):
        accepted = f"between {describe(low)} and {describe(high)}" if high else "positive"
        shown = describe(value) if value >= 0 else str(value)
        raise PolicyError(name, f"must be {accepted} (got {shown})")
    return value


def _ordered(prefix: str, minimum: int, default: int | None, maximum: int) -> None:
    """minimum ≤ default ≤ maximum, each failure naming the field a person would change."""
    if minimum > maximum:
        raise PolicyError(
            f"{prefix}.minimum",
            f"must not exceed {prefix}.maximum ({describe(maximum)}) (got {describe(minimum)})",
        )
    if default is not None and not minimum <= default <= maximum:
        raise PolicyError(
            f"{prefix}.default",
            f"must be between {prefix}.minimum and {prefix}.maximum"
            f" ({describe(minimum)} .. {describe(maximum)}) (got {describe(default)})",
        )


@dataclass(frozen=True, slots=True)
class EnvelopeLifetime:
    """How long an undelivered envelope waits for its recipient; cases choose within limits."""

    default: int = 14 * DAY
    minimum: int = 1 * DAY
    maximum: int = 90 * DAY
    FIELD: ClassVar[str] = "envelope_lifetime"

    def __post_init__(self) -> None:
        for name in ("minimum", "default", "maximum"):
            _seconds(f"{self.FIELD}.{name}", getattr(self, name), bounds=BOUNDS[self.FIELD])
        _ordered(self.FIELD, self.minimum, self.default, self.maximum)


@dataclass(frozen=True, slots=True)
class DisappearingTimer:
    """How long devices keep messages of a case; clients enforce it, the relay hands it out."""

    default: TimerSetting = 30 * DAY
    minimum: int = 1 * HOUR
    maximum: int = 1 * YEAR
    off_allowed: bool = False
    FIELD: ClassVar[str] = "disappearing_timer"

    def __post_init__(self) -> None:
        for name in ("minimum", "maximum"):
            _seconds(f"{self.FIELD}.{name}", getattr(self, name), bounds=BOUNDS[self.FIELD])
        if not isinstance(self.off_allowed, bool):
            raise PolicyError(
                f"{self.FIELD}.off_allowed", f"must be true or false (got {self.off_allowed!r})"
            )
        if self.default == OFF:
            if not self.off_allowed:
                raise PolicyError(
                    f"{self.FIELD}.default",
                    f'"off" needs {self.FIELD}.off_allowed = true; or choose a timer'
                    f" between {describe(self.minimum)} and {describe(self.maximum)}",
                )
            _ordered(self.FIELD, self.minimum, None, self.maximum)
        else:
            _seconds(f"{self.FIELD}.default", self.default, bounds=BOUNDS[self.FIELD])
            _ordered(self.FIELD, self.minimum, self.default, self.maximum)


@dataclass(frozen=True, slots=True)
class InactiveAccounts:
    """Caregiver accounts without a connection for `flag_after` are flagged (the person and
    their workers are told); still none `remove_after` later, the account is removed."""

    flag_after: int = 180 * DAY
    remove_after: int = 30 * DAY
    FIELD: ClassVar[str] = "inactive_accounts"

    def __post_init__(self) -> None:
        for name in ("flag_after", "remove_after"):
            dotted = f"{self.FIELD}.{name}"
            _seconds(dotted, getattr(self, name), bounds=BOUNDS[dotted])
        # The notice period must be shorter than the silence that triggered it; otherwise
        # the "warning" lasts longer than the inactivity and explains nothing to anyone.
        if self.remove_after > self.flag_after:
            raise PolicyError(
                f"{self.FIELD}.remove_after",
                f"must not exceed {self.FIELD}.flag_after ({describe(self.flag_after)})"
                f" (got {describe(self.remove_after)})",
            )


@dataclass(frozen=True, slots=True)
class OrganisationPolicy:
    """An organisation's retention limits and defaults. Durations in whole seconds."""

    envelope_lifetime: EnvelopeLifetime = field(default_factory=EnvelopeLifetime)
    disappearing_timer: DisappearingTimer = field(default_factory=DisappearingTimer)
    # Server metadata that is not needed for routing: exact last-seen times, counters.
    metadata_lifetime: int = 30 * DAY
    inactive_accounts: InactiveAccounts = field(default_factory=InactiveAccounts)
    # A closed case's row and team list are kept this long after closing (a case closed by
    # mistake can be reopened), then removed. The audit log keeps the history.
    closed_case_lifetime: int = 30 * DAY
    # After this, an audit entry's body is removed and only its Merkle leaf hash stays.
    audit_retention: int = 5 * YEAR
    invite_grace: int = INVITE_GRACE_S
    recovery_issuers: str = "case_workers"

    def __post_init__(self) -> None:
        for name, kind in (
            ("envelope_lifetime", EnvelopeLifetime),
            ("disappearing_timer", DisappearingTimer),
            ("inactive_accounts", InactiveAccounts),
        ):
            if not isinstance(getattr(self, name), kind):
                raise PolicyError(name, f"must be a {kind.__name__}")
        for name in ("metadata_lifetime", "closed_case_lifetime", "audit_retention"):
            _seconds(name, getattr(self, name), bounds=BOUNDS[name])
        _seconds("invite_grace", self.invite_grace, bounds=BOUNDS["invite_grace"])
        if self.recovery_issuers not in RECOVERY_ISSUERS:
            raise PolicyError(
                "recovery_issuers",
                f"must be one of {', '.join(RECOVERY_ISSUERS)} (got {self.recovery_issuers!r})",
            )

    @property
    def recovery_needs_approval(self) -> bool:
        return self.recovery_issuers == "case_workers_with_approval"


@dataclass(frozen=True, slots=True)
class CasePolicy:
    """One case's own settings; None means "the organisation's default"."""

    case_id: str
    envelope_lifetime: int | None = None
    disappearing_timer: TimerSetting | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.case_id, str) or not self.case_id:
            raise PolicyError("case_id", f"must be a non-empty case id (got {self.case_id!r})")
        # Only the shape is checked here: the organisation's limits are applied by clamping.
        if self.envelope_lifetime is not None:
            _seconds("envelope_lifetime", self.envelope_lifetime)
        if self.disappearing_timer not in (None, OFF):
            _seconds("disappearing_timer", self.disappearing_timer)


@dataclass(frozen=True, slots=True)
class Clamp:
    """A case setting that the organisation's limits overruled, for the admin to see."""

    field: str
    requested: TimerSetting
    applied: int
    reason: str


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """What applies to one case now: always within the organisation's limits."""

    envelope_lifetime: int
    disappearing_timer: TimerSetting
    clamped: tuple[Clamp, ...] = ()

    @property
    def sent_id_window(self) -> int:
        """A resend is recognised for as long as its envelope could have waited."""
        return self.envelope_lifetime


def _clamp(name: str, requested: int, minimum: int, maximum: int) -> tuple[int, Clamp | None]:
    if requested < minimum:
        return minimum, Clamp(name, requested, minimum, f"below the minimum {describe(minimum)}")
    if requested > maximum:
        return maximum, Clamp(name, requested, maximum, f"above the maximum {describe(maximum)}")
    return requested, None


def effective(org: OrganisationPolicy, case: CasePolicy | None = None) -> EffectivePolicy:
    """The case's settings (or the organisation's defaults) clamped to the organisation's
    limits, with every clamp reported. Call it when data is written and again at purge time."""
    limits, timers = org.envelope_lifetime, org.disappearing_timer
    wanted_lifetime = case.envelope_lifetime if case else None
    wanted_timer = case.disappearing_timer if case else None

    lifetime, lifetime_clamp = _clamp(
        limits.FIELD,
        limits.default if wanted_lifetime is None else wanted_lifetime,
        limits.minimum,
        limits.maximum,
    )

    requested = timers.default if wanted_timer is None else wanted_timer
    timer: TimerSetting
    timer_clamp: Clamp | None = None
    if requested != OFF:
        timer, timer_clamp = _clamp(timers.FIELD, requested, timers.minimum, timers.maximum)
    elif timers.off_allowed:
        timer = OFF
    else:
        # "Keep forever" is longer than any timer: the nearest allowed value is the maximum.
        timer = timers.maximum
        timer_clamp = Clamp(timers.FIELD, OFF, timers.maximum, '"off" is not allowed')

    clamps = tuple(c for c in (lifetime_clamp, timer_clamp) if c is not None)
    return EffectivePolicy(lifetime, timer, clamps)
