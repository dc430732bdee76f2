"""Temporary: moved to groups/log.py (removed once every import says groups.log)."""

from groups.log import *  # noqa: F403
from groups.log import _b64  # noqa: F401
