"""The one error of the retention package.

    PolicyError (ValueError)
        a policy, case override or legal hold that cannot be used; raised when it is built,
        so a bad value stops the relay (or the admin's change) before anything is stored.

Every message names the field and says what would be accepted, e.g.
``envelope_lifetime.maximum: must be at most 90 days (got 120 days)``: the person who reads
it is an organisation's admin editing a config file, not a programmer.
"""

from __future__ import annotations


class PolicyError(ValueError):
    """A retention setting that cannot be used. `field` is its dotted name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
