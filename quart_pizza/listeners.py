"""A listening socket of its own for each hypercorn worker (Linux `SO_REUSEPORT`).

hypercorn binds its listening sockets in the parent process, with `SO_REUSEPORT` when it runs
several workers, and every worker accepts from those same sockets. Which worker takes a new
connection is then a race between their event loops, and a keep-alive connection stays with
the winner: 256 of the benchmark's connections were seen split 66/190 between two workers.

Each worker instead replaces, at start-up and before hypercorn listens on them, the shared
sockets it inherited by fresh ones bound to the same addresses. With `SO_REUSEPORT` the kernel
spreads new connections over the workers' own sockets by a hash of their addresses. p99 at 256
connections went from 242 to 191 ms and at 64 connections from 60 to 50 ms (bench/, 4 and 5
rounds interleaved, medians; README tuning log).

A connection waiting in a worker's own queue when that worker stops is reset, where a shared
socket would have kept it for another worker.
"""

import os
import socket
import stat
from typing import Final

# Linux: SO_REUSEPORT spreads connections over the sockets, and /proc/self/fd lists them.
SUPPORTED: Final = hasattr(socket, "SO_REUSEPORT") and os.path.isdir("/proc/self/fd")
INET_FAMILIES: Final = (socket.AF_INET, socket.AF_INET6)


def _is_shared_listener(sock: socket.socket) -> bool:
    """Whether `sock` is a listening socket hypercorn bound for its workers but did not start.

    Only hypercorn's inherited sockets are TCP sockets that are bound to a port with
    `SO_REUSEPORT` set, yet neither listening nor connected.
    """
    if sock.family not in INET_FAMILIES or sock.type != socket.SOCK_STREAM:
        return False
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        return False
    if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT):
        return False
    if sock.getsockname()[1] == 0:
        return False
    try:
        sock.getpeername()
    except OSError:
        return True
    return False


def own_listening_sockets() -> list[str]:
    """Swap each inherited shared listening socket for one of this process's own.

    The file descriptor keeps its number, so hypercorn listens on the new socket without
    knowing. Returns the addresses swapped; nothing is swapped under a single worker, whose
    socket hypercorn binds without `SO_REUSEPORT`.
    """
    swapped = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            inherited = socket.socket(fileno=os.dup(fd))
        except OSError:  # the listing's own descriptor, closed by now
            continue
        with inherited:
            if not _is_shared_listener(inherited):
                continue
            address = inherited.getsockname()
            with socket.socket(inherited.family, socket.SOCK_STREAM) as own:
                own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                own.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                own.bind(address)
                own.setblocking(False)
                os.dup2(own.fileno(), fd)
            swapped.append(f"{address[0]}:{address[1]}")
    return swapped
