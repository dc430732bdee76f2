"""The retention model stays pure and small: no I/O, no clock, no logging; small modules
with docstrings on their public functions and classes (STYLE.md rules 2, 3, 16)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "retention"
FORBIDDEN = {"asyncio", "socket", "sqlite3", "logging", "time", "datetime", "random", "os", "io"}
MODULES = sorted(p for p in ROOT.glob("*.py") if p.name not in ("__init__.py", "lifetimes.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_retention_modules_do_no_io_and_read_no_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open":
            pytest.fail(f"{path.name} opens a file")
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN | {"relay"}, (path.name, name)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_retention_modules_are_small_and_documented(path):
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 300, path.name
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            assert ast.get_docstring(node), f"{path.name}: {node.name} has no docstring"
