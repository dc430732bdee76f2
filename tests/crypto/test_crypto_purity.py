"""``crypto`` stays pure: no I/O, no clock, no logging, no asyncio, small modules.

STYLE.md rules 1-3 and 16, enforced by reading the source: only the standard-library
modules below and pynacl are imported, and nothing of ours outside ``crypto``.
"""

from __future__ import annotations

from pathlib import Path

import crypto
from helpers import called_names, imports_in, os_attributes

PACKAGE = Path(crypto.__file__).resolve().parent
ALLOWED = {
    "__future__", "collections.abc", "dataclasses", "hashlib", "hmac", "struct",
    "os",  # for os.urandom, the default rng, and nothing else
    "nacl.bindings", "nacl.exceptions",
}  # fmt: skip
MAX_LINES = 400


def test_only_pure_imports() -> None:
    for path in PACKAGE.glob("*.py"):
        foreign = {name for name in imports_in(path) if not name.startswith("crypto")}
        assert foreign <= ALLOWED, f"{path.name} imports {foreign - ALLOWED}"


def test_os_is_used_only_for_urandom() -> None:
    for path in PACKAGE.glob("*.py"):
        assert os_attributes(path) <= {"urandom"}, path.name


def test_no_print_and_small_modules() -> None:
    for path in PACKAGE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        calls = called_names(path)
        assert "print" not in calls, path.name
        assert len(source.splitlines()) <= MAX_LINES, path.name
