"""Listening sockets of its own for each hypercorn worker (Linux `SO_REUSEPORT`).

hypercorn binds its listening sockets in the parent process and every worker accepts from
those same sockets. Two things then hold back a burst of new connections, such as the
benchmark's 256 at once:

- Which worker takes a connection is a race between their event loops, and a keep-alive
  connection stays with the winner: splits like 66/190 were seen.
- libuv, under uvloop, accepts one connection per turn of the event loop, and a busy loop's
  turn takes tens of milliseconds: a worker took a second to take its share of 256.

So each worker, at start-up and before hypercorn listens, swaps each shared TCP socket for
several sockets of its own bound to the same address with `SO_REUSEPORT`. The kernel spreads
new connections over all the workers' sockets by a hash of their addresses, and a worker
accepts up to one connection per socket in each turn.

What this decides for the deployment, and why it is opt-in (the dedicated-host profile):
a connection still waiting in a worker's queue when that worker stops is reset, where a
shared socket would have kept it for another worker, so while hypercorn restarts its workers
(SIGHUP, `--reload`) queued connections are lost; and any process of the same user can bind
the same port with `SO_REUSEPORT` and receive a share of the connections.
"""

import logging
import multiprocessing
import socket
import sys
from typing import Final

from hypercorn.config import Sockets

# SO_REUSEPORT spreads connections over the sockets on Linux only (BSDs give them all to one).
SUPPORTED: Final = sys.platform == "linux"
INET_FAMILIES: Final = (socket.AF_INET, socket.AF_INET6)


def inherited_sockets() -> Sockets | None:
    """The listening sockets hypercorn's parent handed to this worker process, if it is one.

    hypercorn starts each worker as a `multiprocessing` process and passes the sockets to its
    target as the `sockets` argument; the process object keeps its arguments while it runs.
    """
    arguments = getattr(multiprocessing.current_process(), "_kwargs", {})
    sockets = arguments.get("sockets")
    return sockets if isinstance(sockets, Sockets) else None


def _unstarted_tcp(sock: socket.socket) -> bool:
    """A TCP socket nobody listens on yet (a socket handed over by systemd already listens)."""
    return (
        sock.family in INET_FAMILIES
        and sock.type == socket.SOCK_STREAM
        and not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    )


def _bound_socket(shared: socket.socket) -> socket.socket:
    """A new socket bound to `shared`'s address, set up as hypercorn sets up its own."""
    own = socket.socket(shared.family, socket.SOCK_STREAM)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    own.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    own.bind(shared.getsockname())
    own.setblocking(False)
    return own


class _RunningOnOnce(logging.Filter):
    """Lets hypercorn's "Running on <address>" line through once per address.

    hypercorn logs it for every listening socket, so a worker with several sockets of its own
    on one address would say it once per socket.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("Running on "):
            return True
        if message in self._seen:
            return False
        self._seen.add(message)
        return True


_RUNNING_ON_ONCE: Final = _RunningOnOnce()


def own_listening_sockets(sockets: Sockets, per_socket: int) -> list[str]:
    """Replace each unstarted TCP socket in `sockets` by `per_socket` of this process's own.

    Returns the addresses whose sockets were replaced.
    """
    replaced = []
    for listeners in (sockets.secure_sockets, sockets.insecure_sockets):
        own: list[socket.socket] = []
        for shared in listeners:
            if not _unstarted_tcp(shared):
                own.append(shared)
                continue
            # Every socket bound to the port must allow reuse, the shared one included: with a
            # single worker hypercorn leaves it off. The shared socket never listens, so the
            # kernel never hands it a connection.
            shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            own.extend(_bound_socket(shared) for _ in range(per_socket))
            host, port = shared.getsockname()[:2]
            replaced.append(f"{host}:{port}")
            shared.close()  # this process's copy; hypercorn's parent keeps its own
        listeners[:] = own
    if replaced:
        logging.getLogger("hypercorn.error").addFilter(_RUNNING_ON_ONCE)  # added once at most
    return replaced
