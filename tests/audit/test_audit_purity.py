"""``audit`` stays pure, and verification shares no code with appending.

STYLE.md rules 2, 3, 15 and 16, enforced by reading the source: only the modules
below are imported (no I/O, sockets, sqlite, logging or asyncio); ``os`` only for
``os.urandom``; the clock only in ``bench``; nothing prints; modules stay small; and
the verifying modules import nothing from the appending ones, nor the other way round.
"""

from __future__ import annotations

from pathlib import Path

import audit
from helpers import called_names, imports_in, os_attributes

PACKAGE = Path(audit.__file__).resolve().parent
ALLOWED = {
    "__future__", "base64", "binascii", "collections.abc", "dataclasses", "datetime",
    "functools", "hashlib", "hmac", "ipaddress", "itertools", "json", "random", "re", "typing",
    "os",  # for os.urandom, the default rng, and nothing else
    "time",  # bench.py only: see below
    "nacl.bindings",  # signing (checkpoint.py)
    "cryptography.exceptions", "cryptography.hazmat.primitives.asymmetric.ed25519",  # checking
}  # fmt: skip
MAX_LINES = 400
APPENDING = {"audit.merkle", "audit.checkpoint", "audit.bundle", "audit.entry"}
VERIFYING = {"audit.verify", "audit.note_verify", "audit.bundle_verify", "audit.ed25519_strict"}


def module(path: Path) -> str:
    return f"audit.{path.stem}"


def test_only_pure_imports() -> None:
    for path in PACKAGE.glob("*.py"):
        foreign = {name for name in imports_in(path) if not name.startswith("audit")}
        assert foreign <= ALLOWED, f"{path.name} imports {foreign - ALLOWED}"


def test_the_clock_is_read_only_in_bench() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.name != "bench.py":
            assert "time" not in imports_in(path), path.name
        source = path.read_text(encoding="utf-8")
        for forbidden in ("time.time(", ".now(", ".utcnow(", "monotonic("):
            assert forbidden not in source, f"{path.name} reads the clock: {forbidden}"


def test_os_is_used_only_for_urandom() -> None:
    for path in PACKAGE.glob("*.py"):
        assert os_attributes(path) <= {"urandom"}, path.name


def test_no_print_no_open_and_small_modules() -> None:
    for path in PACKAGE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        calls = called_names(path)
        assert not calls & {"print", "open", "input", "exec", "eval"}, path.name
        assert len(source.splitlines()) <= MAX_LINES, path.name


def test_verification_shares_no_code_with_appending() -> None:
    for path in PACKAGE.glob("*.py"):
        ours = {name for name in imports_in(path) if name.startswith("audit.")}
        if module(path) in VERIFYING:
            assert not ours & APPENDING, f"{path.name} imports {ours & APPENDING}"
        if module(path) in APPENDING:
            assert not ours & VERIFYING, f"{path.name} imports {ours & VERIFYING}"


def test_signing_and_checking_use_different_libraries() -> None:
    # libsodium signs, OpenSSL checks: one library's bug cannot hide on both sides.
    assert "nacl.bindings" in imports_in(PACKAGE / "checkpoint.py")
    assert not any(n.startswith("cryptography") for n in imports_in(PACKAGE / "checkpoint.py"))
    assert not any(n.startswith("nacl") for n in imports_in(PACKAGE / "note_verify.py"))
