"""Each serving worker swaps hypercorn's shared listening sockets for sockets of its own
(quart_pizza/listeners.py)."""

import logging
import multiprocessing
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypercorn.config import Sockets

from quart_pizza.tuning.listeners import SUPPORTED, inherited_sockets, own_listening_sockets

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="needs Linux's SO_REUSEPORT")


def hypercorn_socket(workers: int = 2) -> socket.socket:
    """A socket as hypercorn's parent binds it (hypercorn/config.py)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if workers > 1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[Sockets]:
    """What hypercorn hands a worker: a shared TCP socket and two it must leave alone."""
    systemd = hypercorn_socket()  # handed over by systemd: already listening
    systemd.listen()
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(tmp_path / "shop.sock"))
    sockets = Sockets(
        secure_sockets=[], insecure_sockets=[systemd, hypercorn_socket(), unix], quic_sockets=[]
    )
    yield sockets
    for sock in sockets.insecure_sockets + sockets.secure_sockets:
        sock.close()


def test_a_shared_socket_is_replaced_by_sockets_of_the_workers_own(sockets: Sockets) -> None:
    systemd, shared, unix = sockets.insecure_sockets
    address = shared.getsockname()

    assert own_listening_sockets(sockets, per_socket=3) == [f"127.0.0.1:{address[1]}"]

    assert shared.fileno() == -1  # this process's copy of the shared socket is closed
    # In the shared socket's place, three of its own; the others stay.
    assert sockets.insecure_sockets[0] is systemd and sockets.insecure_sockets[-1] is unix
    own = sockets.insecure_sockets[1:-1]
    assert len(own) == 3
    for sock in own:
        assert sock.getsockname() == address
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert not sock.getblocking()
        sock.listen()
    # The kernel spreads connections to the address over the three sockets.
    clients = [socket.create_connection(address) for _ in range(30)]
    accepted = []
    for sock in own:
        while True:
            try:
                accepted.append(sock.accept()[0])
            except BlockingIOError:
                break
        assert accepted, "a socket took no connection"
    assert len(accepted) == len(clients)
    for client in clients + accepted:
        client.close()


def test_a_single_workers_socket_is_replaced_too() -> None:
    # hypercorn sets SO_REUSEPORT only when it runs several workers.
    single = hypercorn_socket(workers=1)
    sockets = Sockets(secure_sockets=[single], insecure_sockets=[], quic_sockets=[])
    address = single.getsockname()
    assert own_listening_sockets(sockets, per_socket=2) == [f"127.0.0.1:{address[1]}"]
    assert [sock.getsockname() for sock in sockets.secure_sockets] == [address, address]
    for sock in sockets.secure_sockets:
        sock.close()


def report_inherited(sockets: Sockets, results: "multiprocessing.Queue[object]") -> None:
    found = inherited_sockets()
    results.put(found is not None and found.insecure_sockets[0].getsockname())


def test_a_worker_finds_the_sockets_hypercorn_handed_it() -> None:
    assert inherited_sockets() is None  # pytest's own process is no hypercorn worker
    context = multiprocessing.get_context("spawn")  # as hypercorn starts its workers
    results: multiprocessing.Queue[object] = context.Queue()
    with hypercorn_socket() as shared:
        sockets = Sockets(secure_sockets=[], insecure_sockets=[shared], quic_sockets=[])
        worker = context.Process(
            target=report_inherited, kwargs={"sockets": sockets, "results": results}
        )
        worker.start()
        worker.join(30)
        assert results.get(timeout=1) == shared.getsockname()


def test_hypercorn_says_running_on_once_per_address(
    sockets: Sockets, caplog: pytest.LogCaptureFixture
) -> None:
    own_listening_sockets(sockets, per_socket=3)
    own_listening_sockets(sockets, per_socket=3)  # the filter is added once at most
    log = logging.getLogger("hypercorn.error")
    with caplog.at_level(logging.INFO, logger="hypercorn.error"):
        for _ in range(3):
            log.info("Running on http://127.0.0.1:8000 (CTRL + C to quit)")
            log.info("Running on http://[::1]:8000 (CTRL + C to quit)")
            log.info("Error in ASGI Framework")
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "Running on http://127.0.0.1:8000",
        "Running on http://[::1]:8000",
        "Error in ASGI Framework",
        "Error in ASGI Framework",
        "Error in ASGI Framework",
    ]
