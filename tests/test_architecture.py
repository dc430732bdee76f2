"""The dependency rules of docs/design.md, enforced: crypto depends on nothing of ours and does
no I/O; the relay never imports code that handles secret keys; only the CLI, the benchmarks
and tests import the relay; dependencies point one way: bench -> relay and clients, and
neither the relay nor the client library imports bench."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from helpers import imports_in

ROOT = Path(__file__).resolve().parent.parent


@functools.cache  # each folder is parsed once, however many rules read it
def imports_of(folder: Path) -> dict[Path, set[str]]:
    """Per file: the modules it imports, and `module.name` for each `from module import
    name` (so a test can forbid one class, such as nacl.signing.SigningKey)."""
    found: dict[Path, set[str]] = {}
    for path in folder.rglob("*.py"):
        names = imports_in(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path] = names
    return found


def test_crypto_depends_on_nothing_of_ours_and_does_no_io():
    for path, names in imports_of(ROOT / "crypto").items():
        for name in names:
            top = name.split(".")[0]
            assert top not in {"relay", "audit", "retention", "steuntje_client"}, (path, name)
            assert top not in {"asyncio", "socket", "aiohttp", "socketio", "sqlite3", "logging"}, (
                path,
                name,
            )


def test_the_group_log_is_pure_and_shared():
    """groups/ is run by the relay and by clients alike: it may use nothing but the
    standard library's text tools and libsodium's Ed25519 (docs/groups.md §2)."""
    allowed = {"__future__", "base64", "hashlib", "json", "re", "typing", "collections.abc"}
    allowed |= {"dataclasses", "nacl.bindings", "nacl.exceptions"}
    for path in (ROOT / "groups").glob("*.py"):
        for name in imports_in(path):
            assert name in allowed, (path, name)


def test_the_relay_never_touches_secret_keys_or_the_e2e_layer():
    for path, names in imports_of(ROOT / "relay").items():
        for name in names:
            assert not name.startswith("crypto"), (path, name)
            assert name not in {
                "nacl.signing.SigningKey",
                "nacl.public.PrivateKey",
                "nacl.public",
            }, (path, name)


def test_only_the_cli_and_tests_import_the_relay():
    for folder in ("crypto", "audit", "retention", "groups", "clients/python"):
        for path, names in imports_of(ROOT / folder).items():
            assert not any(n.split(".")[0] == "relay" for n in names), path


def test_the_relay_never_imports_the_clients_or_the_benchmarks():
    """`steuntje bench` is wired in by steuntje_cli.py, outside the relay (relay/cli.py's
    Extension), so the relay runs without bench/ or the client library installed."""
    for path, names in imports_of(ROOT / "relay").items():
        for name in names:
            top = name.split(".")[0]
            assert top not in {"steuntje_client", "bench", "steuntje_cli"}, (path, name)


def test_the_client_library_holds_only_the_client():
    """Scripts import steuntje_client; the benchmarks that drive it live in bench/."""
    library = ROOT / "clients" / "python" / "steuntje_client"
    for path, names in imports_of(ROOT / "clients" / "python").items():  # parsed once
        assert not any(n.split(".")[0] in {"bench", "steuntje_cli"} for n in names), path
    assert not [path.name for path in library.glob("*bench*")]


def test_the_benchmarks_are_wired_in_from_outside_the_relay():
    """The `steuntje` script is the composition: relay commands plus bench's, which the
    relay's own parser does not know."""
    import tomllib

    import bench.cli
    from relay.cli import build_parser

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["steuntje"] == "steuntje_cli:main"
    assert build_parser([bench.cli]).parse_args(["bench", "--no-crypto"]).crypto is False
    assert build_parser().parse_args(["serve"]).command == "serve"
    with pytest.raises(SystemExit):  # argparse: invalid choice 'bench'
        build_parser().parse_args(["bench"])


def test_the_client_library_exports_a_small_explicit_surface():
    import steuntje_client

    assert sorted(steuntje_client.__all__) == [
        "ClientError",
        "ConnectionLost",
        "DeviceKey",
        "Envelope",
        "Message",
        "Received",
        "RelayClient",
        "RelayRefused",
        "SecureClient",
        "parse_invite",
    ]


def test_protocol_md_lists_every_event_and_every_error_code():
    from relay.errors import Code
    from relay.namespace import HANDLERS

    protocol = (ROOT / "PROTOCOL.md").read_text(encoding="utf-8")
    table = protocol.split("## 3. All events")[1].split("## 4.")[0]
    for event in HANDLERS:
        assert f"| `{event}` | C→R |" in table, f"{event} is missing from PROTOCOL.md §3"
    for pushed in (
        "deliver",
        "case_changed",
        "devices_changed",
        "prekeys_low",
        "revoked",
        "relay_error",
    ):
        assert f"| `{pushed}` | R→C |" in table, pushed
    errors = protocol.split("## 7. Error codes")[1].split("## 8.")[0]
    for code in Code:
        assert f"| `{code}` |" in errors, f"error code {code} is missing from PROTOCOL.md §7"
