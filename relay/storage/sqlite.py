"""The embedded SQLite backend: one file, WAL mode, durable commits.

`SQLiteStorage` implements `Storage` (base.py) by joining the mixins beside it, one per
concern: sqlite_base (connections, transactions, audit plumbing), sqlite_accounts,
sqlite_envelopes, sqlite_privacy, sqlite_cases and sqlite_policies.
"""

from __future__ import annotations

from relay.storage.sqlite_accounts import AccountsSQL
from relay.storage.sqlite_base import SYNC_MODES
from relay.storage.sqlite_cases import CasesSQL
from relay.storage.sqlite_envelopes import PURGE_BATCH, EnvelopesSQL
from relay.storage.sqlite_policies import PoliciesSQL
from relay.storage.sqlite_privacy import PrivacySQL

__all__ = ["PURGE_BATCH", "SYNC_MODES", "SQLiteStorage"]


class SQLiteStorage(AccountsSQL, EnvelopesSQL, PrivacySQL, CasesSQL, PoliciesSQL):
    """`Storage` on one SQLite file. `synchronous='full'` survives power loss, 'normal' only
    a process crash (see docs/performance.md for what each costs)."""
