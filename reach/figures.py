"""Counting the raw figures for one period from the routing data the relay holds.

Pure: the storage adapter hands in a `Population`, this returns the counts before any
protection. What each measure means (docs/accountability.md, "Reach figures"):

    reached                caregivers who took part in a conversation: a device of theirs
                           sent an envelope or took delivery of one in the period
    new                    caregiver accounts created in the period
    checkins_answered      caregivers whose check-ins were answered, as the workers'
                           devices counted them for this period (numbers, never content)
    questionnaires_signed  signed questionnaires received, as the workers' devices counted
    groups_active          peer-support groups in which someone sent a message
    group_members          the members of those groups

Per wijk (the area a worker tagged the caregiver's case with) for the first two; per team
(the teams of the workers on the caregiver's case, or of the contributing worker) for the
first four; the groups only for the organisation as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

NO_AREA = ""  # the cell of caregivers whose case has no wijk (or no team)

MEASURES = (
    "reached",
    "new",
    "checkins_answered",
    "questionnaires_signed",
    "groups_active",
    "group_members",
)
# Which measures each breakdown reports; a cell outside it is not applicable.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "total": MEASURES,
    "area": ("reached", "new"),
    "team": ("reached", "new", "checkins_answered", "questionnaires_signed"),
}


@dataclass(frozen=True, slots=True)
class Caregiver:
    """A caregiver account as the relay routes it: when it was made, and where it counts."""

    account: str
    created_at: int
    areas: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one worker device counted for the period, under its worker's team."""

    team: str | None
    checkins_answered: int
    questionnaires_signed: int


@dataclass(frozen=True, slots=True)
class Population:
    caregivers: tuple[Caregiver, ...]
    active: frozenset[str]  # caregiver accounts that took part in the period
    group_members: tuple[int, ...]  # per group active in the period: its members
    contributions: tuple[Contribution, ...] = ()
    areas: tuple[str, ...] = ()  # the organisation's fixed lists
    teams: tuple[str, ...] = ()


@dataclass
class Figures:
    """Raw counts: breakdown -> cell name -> measure -> count."""

    cells: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def add(self, breakdown: str, name: str, measure: str, amount: int = 1) -> None:
        cell = self.cells[breakdown].setdefault(name, dict.fromkeys(BREAKDOWNS[breakdown], 0))
        cell[measure] += amount


def count(population: Population, start: int, end: int) -> Figures:
    """The raw figures for [start, end): every listed wijk and team gets a cell, zero or not,
    so which cells exist never depends on who was active."""
    figures = Figures({name: {} for name in BREAKDOWNS})
    figures.add("total", "", "reached", 0)
    for breakdown, names in (("area", population.areas), ("team", population.teams)):
        for name in (*names, NO_AREA):
            figures.add(breakdown, name, "reached", 0)
    for caregiver in population.caregivers:
        measures = []
        if caregiver.account in population.active:
            measures.append("reached")
        if start <= caregiver.created_at < end:
            measures.append("new")
        for measure in measures:
            figures.add("total", "", measure)
            for name in _places(caregiver.areas, population.areas):
                figures.add("area", name, measure)
            for name in _places(caregiver.teams, population.teams):
                figures.add("team", name, measure)
    for contribution in population.contributions:
        (team,) = _places(frozenset({contribution.team or NO_AREA}), population.teams)
        for measure in ("checkins_answered", "questionnaires_signed"):
            amount = getattr(contribution, measure)
            figures.add("total", "", measure, amount)
            figures.add("team", team, measure, amount)
    figures.add("total", "", "groups_active", len(population.group_members))
    figures.add("total", "", "group_members", sum(population.group_members))
    return figures


def _places(tags: Iterable[str], listed: tuple[str, ...]) -> list[str]:
    """The cells a caregiver counts in: its listed tags, or the 'none' cell. A tag that is
    no longer on the list counts as none, so no cell outside the fixed list appears."""
    places = sorted(tag for tag in tags if tag in listed)
    return places or [NO_AREA]
