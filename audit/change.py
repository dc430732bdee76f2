"""Before and after values in an audit entry (issue 19 item 2): which setting moved, and how.

A policy change or an account's new status is only half told by its event code: an officer
must read "Bewaartermijn berichten: 14 → 7 dagen". The values are numbers (whole seconds)
or words from a closed list (audit/events.py CHANGE_VALUES), so a change can carry no name
and no content. An entry without changes encodes exactly as entries did before.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit import events
from audit.errors import EntryError
from audit.validate import check_code, check_int

__all__ = ["Change", "validate_changes"]


@dataclass(frozen=True, slots=True)
class Change:
    """One setting that moved: its code and the values before and after (issue 19 item 2).

    A value is whole seconds or a word from ``events.CHANGE_VALUES``: a policy's figures and
    an account's state, so an officer reads "14 → 7 dagen" without any free text in the log.
    """

    field: str
    before: int | str
    after: int | str

    def __post_init__(self) -> None:
        check_code("change.field", self.field, events.CHANGE_FIELDS)
        for name in ("before", "after"):
            value = getattr(self, name)
            if isinstance(value, str):
                check_code(f"change.{name}", value, events.CHANGE_VALUES)
            else:
                check_int(f"change.{name}", value, minimum=0)
        if self.before == self.after:
            raise EntryError("change: before and after are the same; leave the field out")


def validate_changes(change: tuple[Change, ...]) -> None:
    """At most one item per field, each a Change."""
    if len(change) > events.MAX_CHANGES:
        raise EntryError(f"change: at most {events.MAX_CHANGES}")
    fields = set()
    for item in change:
        if not isinstance(item, Change):
            raise EntryError("change: Change values")
        if item.field in fields:
            raise EntryError("change: the same field twice")
        fields.add(item.field)
