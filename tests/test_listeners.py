"""Each serving worker swaps hypercorn's shared listening socket for one of its own
(quart_pizza/listeners.py)."""

import os
import socket
from collections.abc import Iterator

import pytest

from quart_pizza.listeners import SUPPORTED, own_listening_sockets

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="needs SO_REUSEPORT and /proc")


def inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


def hypercorn_socket() -> socket.socket:
    """A socket as hypercorn's parent binds it for several workers (hypercorn/config.py)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


@pytest.fixture
def others() -> Iterator[list[socket.socket]]:
    """Sockets a worker holds that are not hypercorn's shared listeners."""
    listening = hypercorn_socket()
    listening.listen()
    connected = socket.socket()
    connected.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    connected.connect(listening.getsockname())
    unshared = socket.socket()
    unshared.bind(("127.0.0.1", 0))
    unbound = socket.socket()
    unbound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sockets = [listening, connected, unshared, unbound, *socket.socketpair()]
    yield sockets
    for sock in sockets:
        sock.close()


def test_a_shared_listener_is_swapped_for_a_socket_of_its_own(
    others: list[socket.socket],
) -> None:
    with hypercorn_socket() as shared:
        address = shared.getsockname()
        before = inode(shared), [inode(sock) for sock in others]

        assert own_listening_sockets() == [f"127.0.0.1:{address[1]}"]

        # Same descriptor, new socket, same address; nothing else touched.
        assert inode(shared) != before[0]
        assert [inode(sock) for sock in others] == before[1]
        assert shared.getsockname() == address
        assert shared.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert shared.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert not shared.getblocking()
        # It serves: a connection to the address reaches it.
        shared.listen()
        with socket.create_connection(address):
            shared.setblocking(True)
            accepted, _ = shared.accept()
            accepted.close()


def test_sockets_of_a_single_worker_are_left_alone(others: list[socket.socket]) -> None:
    # hypercorn sets SO_REUSEPORT only for several workers; one worker keeps its socket.
    with socket.socket() as single:
        single.bind(("127.0.0.1", 0))
        before = inode(single)
        assert own_listening_sockets() == []
        assert inode(single) == before
