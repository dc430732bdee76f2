"""The embedded SQLite backend: one file, WAL mode, durable commits.

`SQLiteStorage` implements `Storage` (base.py) by joining the mixins beside it, one per
concern: sqlite_base (connections, transactions, audit plumbing), sqlite_accounts,
sqlite_envelopes, sqlite_privacy, sqlite_cases, sqlite_policies, sqlite_lifecycle, sqlite_groups,
sqlite_first_admin, sqlite_push, sqlite_recovery, sqlite_blobs and sqlite_staff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relay.storage.sqlite_accounts import AccountsSQL
from relay.storage.sqlite_base import SYNC_MODES
from relay.storage.sqlite_blobs import BlobsSQL
from relay.storage.sqlite_cases import CasesSQL
from relay.storage.sqlite_envelopes import PURGE_BATCH, EnvelopesSQL
from relay.storage.sqlite_first_admin import FirstAdminSQL
from relay.storage.sqlite_groups import GroupsSQL
from relay.storage.sqlite_lifecycle import LifecycleSQL
from relay.storage.sqlite_policies import PoliciesSQL
from relay.storage.sqlite_privacy import PrivacySQL
from relay.storage.sqlite_push import PushSQL
from relay.storage.sqlite_reach import ReachSQL
from relay.storage.sqlite_recovery import RecoverySQL
from relay.storage.sqlite_staff import StaffSQL

if TYPE_CHECKING:  # config.py imports this module (SYNC_MODES)
    from relay.config import RelayConfig

__all__ = ["PURGE_BATCH", "SYNC_MODES", "SQLiteStorage"]


class SQLiteStorage(
    AccountsSQL,
    EnvelopesSQL,
    PrivacySQL,
    CasesSQL,
    PoliciesSQL,
    LifecycleSQL,
    GroupsSQL,
    FirstAdminSQL,
    PushSQL,
    RecoverySQL,
    ReachSQL,
    BlobsSQL,
    StaffSQL,
):
    """`Storage` on one SQLite file. `synchronous='full'` survives power loss, 'normal' only
    a process crash (see docs/performance.md for what each costs)."""

    @classmethod
    def for_config(cls, config: RelayConfig) -> SQLiteStorage:
        """The relay's database as configured: the relay, and every CLI command, use this."""
        return cls(
            config.database_path,
            config.sqlite_synchronous,
            key_dir=config.epoch_key_dir,
            audit_key=config.audit_key_path,
        )
