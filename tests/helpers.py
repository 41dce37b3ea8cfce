"""Shared test helpers: driving the real forms, real servers (the test's database: database.py)."""

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from itsdangerous import URLSafeTimedSerializer
from quart.typing import TestClientProtocol as Client
from quart.wrappers import Response

from .database import Database, database_at

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
SERVER_SECRET_KEY = "end-to-end secret key, long enough"


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match is not None, "page has no csrf_token field"
    return match.group(1)


def order_id_in(cookie: str) -> int:
    """The order id the shop put in the (signed, readable) session cookie."""
    serializer = URLSafeTimedSerializer(
        SERVER_SECRET_KEY,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    order_id: int = serializer.loads(cookie)["order_id"]
    return order_id


class AuthActions:
    """Drives the real register/login/logout forms, CSRF token included."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def token(self, path: str = "/") -> str:
        response = await self.client.get(path)
        return csrf_from(await response.get_data(as_text=True))

    async def register(self, username: str = "alice", password: str = "pepperoni4ever") -> Response:
        form = {"username": username, "password": password, "csrf_token": await self.token()}
        return await self.client.post("/register", form=form)

    async def login(
        self, username: str = "alice", password: str = "pepperoni4ever", next_url: str = ""
    ) -> Response:
        form = {"username": username, "password": password, "csrf_token": await self.token()}
        if next_url:
            form["next"] = next_url
        return await self.client.post("/login", form=form)

    async def logout(self) -> Response:
        return await self.client.post("/logout", form={"csrf_token": await self.token()})


class OrderActions:
    """Drives the real order form."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def place(
        self, pizza: str = "margherita", size: str = "medium", quantity: str = "2"
    ) -> Response:
        token = csrf_from(await (await self.client.get("/")).get_data(as_text=True))
        form = {"pizza": pizza, "size": size, "quantity": quantity, "csrf_token": token}
        return await self.client.post("/orders/create", form=form)

    async def place_id(self, **fields: str) -> int:
        """Place an order and return its id, read back from the session."""
        response = await self.place(**fields)
        assert response.status_code == 303, await response.get_data(as_text=True)
        async with self.client.session_transaction() as session:
            order_id = session["order_id"]
        assert isinstance(order_id, int)
        return order_id


async def staff_client(client: Client, db: Database, username: str = "chef") -> Client:
    """`client`, registered as `username` and made a member of staff."""
    await AuthActions(client).register(username)
    await db.make_staff(username)
    return client


async def move(client: Client, order_id: int, status: str) -> int:
    """The kitchen's button: move the order to `status`; the answer's status code."""
    token = csrf_from(await (await client.get("/")).get_data(as_text=True))
    form = {"status": status, "csrf_token": token}
    return (await client.post(f"/kitchen/orders/{order_id}/status", form=form)).status_code


@dataclass
class Server:
    """A real hypercorn process serving the shop."""

    process: subprocess.Popen[bytes]
    url: str
    db: Database
    log: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def workers(self) -> list[int]:
        """hypercorn's worker processes (multiprocessing's resource tracker is a child too)."""
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return [
            int(pid)
            for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    tmp_path: Path,
    workers: int,
    *options: str,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> Server:
    """hypercorn as configured by hypercorn.toml, with `options` added to its command line and
    `env` to the shop's environment, on `database_url` (a SQLite file in `tmp_path` if None);
    returns once `/healthz` answers 200."""
    port = free_port()
    log = tmp_path / f"hypercorn-{port}.log"
    environment = os.environ | {
        "PIZZA_DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        "PIZZA_SECRET_KEY": SERVER_SECRET_KEY,
        "PIZZA_INSTANCE_PATH": str(tmp_path / "instance"),
        "PIZZA_PASSWORD_HASH_TIME_COST": "1",
        "PIZZA_PASSWORD_HASH_MEMORY_KIB": "64",
        "PIZZA_PASSWORD_HASH_PARALLELISM": "1",
        "PIZZA_REGISTER_CLIENT_MAX": "0",
        "PIZZA_LOGIN_CLIENT_MAX_FAILURES": "0",
        # The end-to-end tests register customers a dozen at a time.
        "PIZZA_PASSWORD_HASH_THREADS": "8",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "hypercorn",
        "-c",
        "hypercorn.toml",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *options,
        "quart_pizza:create_app()",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the workers can be killed too
        )
    db = database_at(environment["PIZZA_DATABASE_URL"])
    server = Server(process, f"http://127.0.0.1:{port}", db, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            kill_server(server)
            raise RuntimeError(f"hypercorn did not start:\n{log.read_text()}")
        time.sleep(0.1)


def kill_server(server: Server) -> None:
    """SIGKILL the master and every worker: a crash, with no chance to clean up."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_server(server)
        return
    try:  # workers left behind would hold the port and the database
        os.killpg(server.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def serving(
    tmp_path: Path,
    workers: int,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
) -> Iterator[Server]:
    """A fixture's body: the server while the test runs, then stopped; no traceback logged."""
    server = start_server(tmp_path, workers, env=env, database_url=database_url)
    yield server
    stop_server(server)
    assert "Traceback" not in server.log.read_text()
