"""Real PostgreSQL and Redis servers for the tests, on loopback, started and stopped here.

PostgreSQL refuses to run as root: when the tests run as root, the cluster lives in a
temporary folder owned by the `postgres` user and every server command runs through
`runuser -u postgres`. One cluster serves the whole session (initdb takes seconds); each
test gets a database of its own. fsync stays on: durability is what the relay promises.

Without the server binaries a test is skipped, except under CI=true, where it fails:
CI installs them (.ci/run) and a silently skipped backend would prove nothing.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import pytest

START_TIMEOUT_S = 30
_database_numbers = itertools.count(1)


def loaded_conftest(config: pytest.Config) -> ModuleType:
    """tests/conftest.py as pytest loaded it, for its RelayProcess and InProcessRelay:
    `import conftest` may find a subfolder's conftest.py, which has the same name."""
    wanted = Path(__file__).with_name("conftest.py")
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", None) or "/") == wanted:
            return plugin  # type: ignore[no-any-return]
    raise LookupError(f"{wanted} is not loaded")


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed, and CI must run these tests (see .ci/run)")
    pytest.skip(f"{what} is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout_s: float, what: str, step_s: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    """Poll `condition` until it holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(step_s)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- PostgreSQL -------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    override = os.environ.get("STEUNTJE_PG_BIN")
    if override:
        return Path(override)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PostgresServer:
    """A throwaway cluster: `start`, `stop`, `restart` (same port), `dsn(database)`."""

    USER = "steuntje"

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="steuntje-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
            self.root.chmod(0o700)

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", self.USER, "--auth=trust",
            "-E", "UTF8", "--locale=C",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets}"
            " -c fsync=on -c synchronous_commit=on -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", str(START_TIMEOUT_S), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return _accepts(self.port)

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.USER}@127.0.0.1:{self.port}/{database}"

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


async def create_database(server: PostgresServer) -> str:
    """A fresh, empty database on `server`; returns its DSN."""
    import asyncpg

    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    connection = await asyncpg.connect(server.dsn("postgres"))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.dsn(name)


async def drop_database(server: PostgresServer, dsn: str) -> None:
    import asyncpg

    if not server.running():
        return
    name = dsn.rsplit("/", 1)[1]
    connection = await asyncpg.connect(server.dsn("postgres"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session (the `postgres` user when we are root)."""
    bin_dir = postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        _missing("PostgreSQL (initdb, pg_ctl)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        _missing("runuser (to start PostgreSQL as the postgres user)")
    server = PostgresServer(bin_dir)  # type: ignore[arg-type]
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def postgres_dsn(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh database on the session's cluster, dropped afterwards."""
    if not postgres_server.running():  # a test that restarts it may have failed midway
        postgres_server.start()
    dsn = await create_database(postgres_server)
    yield dsn
    await drop_database(postgres_server, dsn)


# -- Redis ------------------------------------------------------------------------------


class RedisServer:
    """`redis-server` on a free loopback port, no persistence; `restart` keeps the port."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: self._ponged(), START_TIMEOUT_S, "redis-server to answer PING")

    def _ponged(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self.process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=START_TIMEOUT_S)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis server of the test's own (cheap to start), stopped afterwards."""
    binary = os.environ.get("STEUNTJE_REDIS_SERVER") or shutil.which("redis-server")
    if binary is None:
        _missing("redis-server")
    server = RedisServer(binary)  # type: ignore[arg-type]
    try:
        server.start()
        yield server
    finally:
        server.stop()


# -- the storage contract suite's backends ----------------------------------------------


class StorageBackend:
    """Opens `Storage` instances on one database of one kind: SQLite (a file) or
    PostgreSQL (a database on the session's cluster). `open()` twice is a reopen."""

    def __init__(self, kind: str, folder: Path, dsn: str | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.dsn = dsn
        self.opened: list[object] = []

    def __repr__(self) -> str:
        return f"StorageBackend({self.kind})"

    def make(self, **options: object):  # type: ignore[no-untyped-def]
        if self.kind == "sqlite":
            from relay.storage.sqlite import SQLiteStorage

            return SQLiteStorage(self.folder / "steuntje.sqlite3", **options)  # type: ignore[arg-type]
        from relay.storage.postgres import PostgresStorage

        return PostgresStorage(
            self.dsn,  # type: ignore[arg-type]
            self.folder / "epoch-keys",
            self.folder / "audit-log.key",
            **options,  # type: ignore[arg-type]
        )

    async def open(self, **options: object):  # type: ignore[no-untyped-def]
        storage = self.make(**options)
        await storage.open()
        self.opened.append(storage)
        return storage

    async def with_devices(self, *devices: str, now: int, **options: object):  # type: ignore[no-untyped-def]
        """Opened, with each device registered on its own worker account (a real invite)."""
        from relay.invites import new_token, token_hash

        storage = await self.open(**options)
        _, org = await storage.installation(now)
        for device in devices:
            token = new_token()
            await storage.create_invite(token_hash(token), org, "worker", None, now, now + 60)
            await storage.redeem_invite(token_hash(token), device, now)
        return storage


@pytest.fixture(params=["sqlite", "postgres"])
async def storage_backend(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Each storage test runs once per backend; storages left open are closed after."""
    server: PostgresServer | None = None
    dsn = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")  # started once, on first use
        if not server.running():
            server.start()
        dsn = await create_database(server)
    backend = StorageBackend(request.param, tmp_path, dsn)
    yield backend
    for storage in backend.opened:
        with contextlib.suppress(Exception):
            await storage.close()  # type: ignore[attr-defined]
    if server is not None and dsn is not None:
        await drop_database(server, dsn)
