"""Storage backends behind one narrow interface (`Storage`)."""

from relay.storage.base import Storage
from relay.storage.sqlite import SQLiteStorage

__all__ = ["SQLiteStorage", "Storage"]
