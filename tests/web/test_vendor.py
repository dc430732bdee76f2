"""The vendored browser files are exactly the ones MANIFEST.json records (no network).

A hand edit, a partial refresh or a file dropped into clients/web/vendor/ without going
through refresh.py fails here, so what the relay serves is always what the manifest says.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "clients" / "web" / "vendor"
MANIFEST = json.loads((VENDOR / "MANIFEST.json").read_text())


def _load_refresh() -> object:
    spec = importlib.util.spec_from_file_location("vendor_refresh", VENDOR / "refresh.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_file_matches_its_recorded_hash() -> None:
    for name, entry in {**MANIFEST["files"], **MANIFEST["licenses"]}.items():
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], name


def test_refresh_check_finds_no_problem() -> None:
    # Also catches files present in vendor/ but absent from the manifest.
    assert _load_refresh().check() == []  # type: ignore[attr-defined]


def test_every_file_names_package_version_licence_and_sources() -> None:
    expected = {
        "noble-2.4.0.js",
        "socket.io-4.8.4.esm.min.js",
        "qrcode-generator-2.0.4.js",
        "axe-core-4.14.1.min.js",
        # The check-in faces and the heart (Twemoji's graphics are CC-BY 4.0).
        *(f"twemoji-{code}-16.0.1.svg" for code in ("1f622", "1f641", "1f610", "1f642", "1f604")),
        "twemoji-1f49b-16.0.1.svg",
    }
    assert set(MANIFEST["files"]) == expected
    for name, entry in MANIFEST["files"].items():
        assert entry["packages"], name
        for package in entry["packages"]:
            assert package["version"].count(".") == 2, name  # exact, never a range
            assert package["license"] in {"MIT", "MPL-2.0", "MIT AND CC-BY-4.0"}, name
            assert package["sources"], name


def static_imports(entry: Path) -> set[Path]:
    """``entry`` and every module it imports statically, transitively (`from './x.js'`);
    a dynamic ``import()`` is loaded only when needed, so it is not followed."""
    seen: set[Path] = set()
    pending = [entry.resolve()]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for target in re.findall(r"""\bfrom\s+['"](\.{1,2}/[^'"]+)['"]""", path.read_text()):
            pending.append((path.parent / target).resolve())
    return seen


def test_crypto_and_transport_fit_the_first_load_budget() -> None:
    """noble + socket.io + the crypto modules, gzip-compressed as the relay serves them.

    The caregiver's whole first load must stay under 150 KB compressed (docs/design.md: cheap
    phones, slow connections); this part gets at most 64 KB of it. Counted: what
    crypto/index.js pulls in. Modules the app imports directly and only when needed
    (group-log.js, attachment.js, audit-proof.js) and the test runners are not in it.
    """
    web = VENDOR.parent
    files = {(VENDOR / "socket.io-4.8.4.esm.min.js").resolve()}
    files |= static_imports(web / "crypto" / "index.js")
    assert (VENDOR / "noble-2.4.0.js").resolve() in files
    assert not any("runner" in path.name or "attachment" in path.name for path in files)
    total = sum(len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)) for path in files)
    assert total <= 64 * 1024, f"{total} bytes compressed"


def test_every_vendored_file_name_carries_its_version():
    """The relay lets browsers keep vendor files for a year: a new version must be a new URL."""
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    for name, entry in manifest["files"].items():
        versions = {package["version"] for package in entry["packages"]}
        assert any(f"-{version}." in name for version in versions), name
