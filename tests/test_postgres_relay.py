"""The relay's own tests, again, with PostgreSQL as its storage.

Every test below is imported from the module that defines it and collected here a second
time; this module's `make_relay` (which the `relay` and `small_relay` fixtures build on)
gives each relay a fresh PostgreSQL database instead of a SQLite file. So registration,
exchange, cases, GDPR, legal holds, policies, prekeys and the audit log are proven on
both backends by the same assertions. Tests that look inside a SQLite file, or start
`steuntje serve` themselves, stay SQLite-only (SKIPPED below says which and why).
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import test_admin
import test_audit_relay
import test_auth
import test_credentials_die_with_issuer
import test_disappearing
import test_exchange
import test_gdpr
import test_groups_relay
import test_legal_holds
import test_limits_and_errors
import test_policies
import test_prekeys
import test_reach
import test_recovery
import test_retention_basics
from aiohttp.test_utils import TestServer
from servers import PostgresServer, create_database, drop_database, loaded_conftest

from relay.app import CONTEXT, create_app
from relay.clock import FakeClock
from relay.config import Limits, RelayConfig
from relay.storage.postgres_connection import PgConnection

MODULES = (
    test_admin,
    test_audit_relay,
    test_auth,
    test_credentials_die_with_issuer,
    test_disappearing,
    test_exchange,
    test_gdpr,
    test_groups_relay,
    test_legal_holds,
    test_limits_and_errors,
    test_policies,
    test_prekeys,
    test_reach,
    test_recovery,
    test_retention_basics,
)
RELAY_FIXTURES = {"relay", "small_relay", "make_relay"}
OTHER_FIXTURES = {"tmp_path"}
# name -> why it does not apply to PostgreSQL
SKIPPED: dict[str, str] = {
    "test_erasure_leaves_nothing_of_the_account_on_disk": "reads the SQLite file's bytes; "
    "on PostgreSQL, crypto-shredding is what reaches old pages (docs/scaling.md)",
    "test_erasure_after_recovery_leaves_nothing_of_either_device": "reads the SQLite file's"
    " bytes, as above",
}
# The imported tests look into the database with `sqlite3.connect(database_path)`; here
# that name is swapped for `PostgresPeek`, which opens the relay's PostgreSQL database.
PEEKING_MODULES = (
    test_audit_relay,
    test_gdpr,
    test_groups_relay,
    test_legal_holds,
    test_policies,
    test_reach,
    test_retention_basics,
)


def _parametrized(function: Callable[..., object]) -> set[str]:
    """The arguments a test's @pytest.mark.parametrize marks fill in (they keep their marks
    when collected here, so each case runs on PostgreSQL too)."""
    names: set[str] = set()
    for mark in getattr(function, "pytestmark", ()):
        if mark.name == "parametrize":
            argnames = mark.args[0]
            names.update(argnames.split(",") if isinstance(argnames, str) else argnames)
    return {name.strip() for name in names}


def _collect() -> dict[str, Callable[..., object]]:
    found = {}
    for module in MODULES:
        for name, function in vars(module).items():
            if not name.startswith("test_") or not inspect.isfunction(function):
                continue
            if function.__module__ != module.__name__ or name in SKIPPED:
                continue
            wanted = set(inspect.signature(function).parameters) - _parametrized(function)
            if wanted & RELAY_FIXTURES and wanted <= RELAY_FIXTURES | OTHER_FIXTURES:
                found[f"{name}_on_postgres"] = function
    return found


globals().update(_collect())


class PeekConnection:
    """A test's look into the relay's database: `execute` as sqlite3 has it (the shared
    dialect of postgres_connection.py), on a thread of its own, off the test's loop."""

    def __init__(self, dsn: str) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="peek")
        self._connection = self._thread.submit(PgConnection, dsn).result()

    def execute(self, sql: str, params: tuple = ()) -> object:
        if "sqlite_master" in sql:
            raise AssertionError("a SQLite-only query; list this test in SKIPPED")
        return self._thread.submit(self._connection.execute, sql, params).result()

    def close(self) -> None:
        self._thread.submit(self._connection.close).result()
        self._thread.shutdown()


class PostgresPeek:
    """Stands in for the `sqlite3` module: connect(database_path) opens that relay's
    PostgreSQL database instead; everything else is the real module."""

    def __init__(self) -> None:
        self.databases: dict[Path, str] = {}  # a relay's would-be SQLite path -> its DSN
        self.opened: list[PeekConnection] = []

    def connect(self, path: Path, *args: object, **kwargs: object) -> PeekConnection:
        connection = PeekConnection(self.databases[Path(path)])
        self.opened.append(connection)
        return connection

    def __getattr__(self, name: str) -> object:
        return getattr(sqlite3, name)


@pytest.fixture
async def make_relay(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_server: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Callable[..., object]]:
    """conftest's `make_relay`, each relay on a database of its own."""
    in_process_relay = loaded_conftest(request.config).InProcessRelay
    servers: list[TestServer] = []
    databases: list[str] = []
    peek = PostgresPeek()
    for module in PEEKING_MODULES:
        monkeypatch.setattr(module, "sqlite3", peek)

    async def start(limits: Limits | None = None, **config: object) -> object:
        dsn = await create_database(postgres_server)
        databases.append(dsn)
        clock = FakeClock()
        base = RelayConfig(
            host="127.0.0.1",
            port=0,
            data_dir=tmp_path / f"relay{len(servers)}",
            database_url=dsn,
        )
        cfg = replace(base, limits=limits or Limits(), **config)  # type: ignore[arg-type]
        peek.databases[cfg.database_path] = dsn
        app = create_app(cfg, clock=clock)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        url = str(server.make_url("")).rstrip("/")
        return in_process_relay(url, app[CONTEXT], clock)

    start.servers = servers  # type: ignore[attr-defined]
    yield start
    for server in servers:  # the relay fixtures close them first; closing twice is harmless
        await server.close()
    for connection in peek.opened:
        await asyncio.to_thread(connection.close)
    for dsn in databases:
        await drop_database(postgres_server, dsn)


def test_every_imported_module_contributes():
    names = set(_collect())
    for module in MODULES:
        assert any(name.startswith("test_") for name in vars(module)), module.__name__
    assert len(names) >= 40, sorted(names)
