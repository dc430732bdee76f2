"""Peer-support groups: the signed membership log (``groups.log``), shared by the relay
and every client. Pure: no I/O, no clock, no randomness (docs/groups.md §2)."""
