"""The protection every published count gets: small cells suppressed, all rounded to 5.

    K = 5       a count below 5 (0 included) is published as "<5", never as a number
    BASE = 5    every other count is rounded to the nearest multiple of 5 (half up)

Each cell is protected on its own, the organisation's total too: no figure is ever the
difference of two others. Within one breakdown (the wijken, the teams), a single
suppressed cell could be recovered as the total minus the published cells, so then the
whole breakdown is hidden ("secondary suppression"). With every cell and the total
rounded independently, the sum of the published cells is off from the total by up to 2
per cell, so subtracting them pins no hidden cell to one count (a brute-force test checks
every population of three and four wijken). Reports for the same period are frozen at
their first release (relay side), so running a report again after one person left or
joined gives the very same figures.
"""

from __future__ import annotations

from collections.abc import Mapping

K = 5
BASE = 5
METHOD = "suppress_below_k_round_to_base"


def protect_count(count: int) -> int | None:
    """One count as published: None ("<5") below K, else rounded to BASE, half up."""
    if type(count) is not int or count < 0:
        raise ValueError("a count is a non-negative integer")
    if count < K:
        return None
    return (count + BASE // 2) // BASE * BASE


def protect_breakdown(counts: Mapping[str, int]) -> dict[str, int | None]:
    """The cells of one breakdown (one measure over the wijken, or over the teams), each
    protected. When exactly one cell fell below K, every cell of the breakdown is hidden:
    the total minus the others would otherwise come close to it. Hiding "the next smallest"
    instead, the textbook rule, leaks through its own ordering (the hidden second cell is
    known to be at most the smallest shown one), which tests/test_reach_protect.py found."""
    published = {name: protect_count(count) for name, count in counts.items()}
    if sum(value is None for value in published.values()) == 1:
        return dict.fromkeys(published)
    return published


def describe() -> dict[str, object]:
    """The protection as recorded in every report."""
    return {"method": METHOD, "k": K, "base": BASE, "secondary_suppression": True}
