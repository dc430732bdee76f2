"""``crypto`` stays pure: no I/O, no clock, no logging, no asyncio, small modules.

STYLE.md rules 1-3 and 16, enforced by reading the source: only the standard-library
modules below and pynacl are imported, and nothing of ours outside ``crypto``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import crypto

PACKAGE = Path(crypto.__file__).resolve().parent
ALLOWED = {
    "__future__", "collections.abc", "dataclasses", "hashlib", "hmac", "struct",
    "os",  # for os.urandom, the default rng, and nothing else
    "nacl.bindings", "nacl.exceptions",
}  # fmt: skip
MAX_LINES = 400


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_only_pure_imports() -> None:
    for path in PACKAGE.glob("*.py"):
        foreign = {name for name in imports_of(path) if not name.startswith("crypto")}
        assert foreign <= ALLOWED, f"{path.name} imports {foreign - ALLOWED}"


def test_os_is_used_only_for_urandom() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "os":
                assert node.attr == "urandom", f"{path.name}: os.{node.attr}"


def test_no_print_and_small_modules() -> None:
    for path in PACKAGE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        calls = {
            node.func.id
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert "print" not in calls, path.name
        assert len(source.splitlines()) <= MAX_LINES, path.name
