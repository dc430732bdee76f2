"""Legal holds: a case's data that must not be purged, for a stated reason, for a while.

A hold freezes purging for one case and the kinds of data in its scope. It is active from
`placed_at` until `ends_at` or `lifted_at`, whichever comes first. It never lapses on its
own at `review_at`: a forgotten review must not silently destroy evidence. Instead
`review_due` tells the officer, and a reviewed hold is stored again with a later review date.

Placing, reviewing and lifting are audited by the relay (issue 6); this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from retention.durations import YEAR, describe
from retention.errors import PolicyError

# What a hold can freeze. "all" in a dict means every one of them.
HOLD_SCOPES: tuple[str, ...] = (
    "envelopes",  # undelivered envelopes and sent ids of the case, and the epoch keys for them
    "case",  # the case row, its team list and server metadata about it, even once closed
    "accounts",  # accounts on the case are not removed for inactivity
    "audit",  # the bodies of audit entries about the case are not removed at audit_retention
)
MAX_REVIEW_INTERVAL = 1 * YEAR  # a hold is looked at again at least once a year
MAX_REASON_CHARS = 500
MAX_REFERENCE_CHARS = 200


def _text(name: str, value: object, limit: int, example: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(name, f"is required, e.g. {example} (got {value!r})")
    if len(value) > limit:
        raise PolicyError(name, f"must be at most {limit} characters (got {len(value)})")


def _instant(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PolicyError(name, f"must be a Unix time in whole seconds (got {value!r})")
    return value


@dataclass(frozen=True, slots=True)
class LegalHold:
    """One hold on one case. `reason` must not name people: it is shown to admins."""

    case_id: str
    scope: frozenset[str]
    reason: str
    reference: str  # where the decision is recorded: a court case number, a ticket
    placed_at: int
    review_at: int
    ends_at: int | None = None
    lifted_at: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.case_id, str) or not self.case_id:
            raise PolicyError("case_id", f"must be a non-empty case id (got {self.case_id!r})")
        self._check_scope()
        _text("reason", self.reason, MAX_REASON_CHARS, '"claim about the care plan"')
        _text("reference", self.reference, MAX_REFERENCE_CHARS, '"C/13/123456"')
        placed = _instant("placed_at", self.placed_at)
        review = _instant("review_at", self.review_at)
        if not placed < review <= placed + MAX_REVIEW_INTERVAL:
            raise PolicyError(
                "review_at",
                f"must be after placed_at and at most {describe(MAX_REVIEW_INTERVAL)} later"
                f" (got {review - placed:+d} seconds from placed_at)",
            )
        if self.ends_at is not None and _instant("ends_at", self.ends_at) <= placed:
            raise PolicyError("ends_at", "must be after placed_at, or empty for no set end")
        if self.lifted_at is not None and _instant("lifted_at", self.lifted_at) < placed:
            raise PolicyError("lifted_at", "must not be before placed_at")

    def _check_scope(self) -> None:
        scope = self.scope
        if isinstance(scope, str) or not isinstance(scope, Iterable):
            raise PolicyError("scope", f"must be a set of {', '.join(HOLD_SCOPES)}")
        scope = frozenset(scope)
        unknown = sorted(scope - set(HOLD_SCOPES))
        if unknown or not scope:
            raise PolicyError(
                "scope",
                f"must be one or more of {', '.join(HOLD_SCOPES)} (got {sorted(scope)!r})",
            )
        object.__setattr__(self, "scope", scope)  # accept a list or tuple; keep a frozenset

    @property
    def until(self) -> int | None:
        """When the hold stops, or None while it has no end."""
        ends = [t for t in (self.ends_at, self.lifted_at) if t is not None]
        return min(ends) if ends else None


def is_held(hold: LegalHold, now: int) -> bool:
    """Whether the hold freezes purging at `now`."""
    until = hold.until
    return hold.placed_at <= now and (until is None or now < until)


def review_due(hold: LegalHold, now: int) -> bool:
    """An active hold whose review date has passed: tell the officer, keep holding."""
    return is_held(hold, now) and now >= hold.review_at


@dataclass(frozen=True, slots=True)
class ActiveHolds:
    """The holds in force at one instant, by case: what the purge asks about each record."""

    scopes_by_case: dict[str, frozenset[str]]

    def covers(self, case_id: str | None, scope: str) -> bool:
        """Whether data of `case_id` of kind `scope` must be kept. Data of no case (None)
        cannot be held: holds are placed on cases."""
        return case_id is not None and scope in self.scopes_by_case.get(case_id, frozenset())

    def __bool__(self) -> bool:
        return bool(self.scopes_by_case)


def active_holds(holds: Iterable[LegalHold], now: int) -> ActiveHolds:
    """Merge the holds active at `now`; several holds on one case add their scopes up."""
    merged: dict[str, frozenset[str]] = {}
    for hold in holds:
        if is_held(hold, now):
            merged[hold.case_id] = merged.get(hold.case_id, frozenset()) | hold.scope
    return ActiveHolds(merged)
