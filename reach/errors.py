"""One root error for the reach package: the message says what to do, and holds no data."""

from __future__ import annotations


class ReachError(ValueError):
    """A period, list or report that cannot be used; the message says why."""
