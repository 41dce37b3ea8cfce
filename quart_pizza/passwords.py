"""Password hashing with argon2id, in a small pool of threads of its own.

Hashing is slow on purpose (argon2id, 64 MiB by default), so it never runs on the event loop,
and the pool is bounded: when every hashing thread is busy, a request is refused at once
(`PasswordsBusyError`, a 503 with `Retry-After`) instead of queueing behind a flood of login
attempts while the rest of the shop waits for the CPU.
"""

import asyncio
import queue
import secrets
import threading
from collections.abc import Callable
from typing import Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from quart import Quart, current_app

THREAD_NAME: Final = "quart_pizza-passwords"

type _Job = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop] | None


class PasswordsBusyError(RuntimeError):
    """Every hashing thread is busy: try again in a moment."""


class Passwords:
    """Hashes and checks passwords; an unknown user costs the same as a wrong password."""

    def __init__(
        self, *, time_cost: int, memory_kib: int, parallelism: int, threads: int = 2
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._reference_hash: str | None = None
        self._size = threads
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy = 0

    def start(self) -> None:
        """Start the hashing threads (when a worker starts serving)."""
        for number in range(self._size):
            thread = threading.Thread(
                target=self._serve, name=f"{THREAD_NAME}-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        self._threads.clear()

    def native_thread_ids(self) -> set[int]:
        """The hashing threads' ids, for whoever places threads on CPUs."""
        return {thread.native_id for thread in self._threads if thread.native_id is not None}

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check `password`; with no hash (unknown user) check against a reference hash."""
        if self._reference_hash is None:
            self._reference_hash = await self.hash(secrets.token_urlsafe(16))
        reference = self._reference_hash
        matches = await self._run(lambda: self._verify(password_hash or reference, password))
        return matches and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other cost settings than today's."""
        return self._hasher.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _run[T](self, work: Callable[[], T]) -> T:
        if not self._threads:
            return await asyncio.to_thread(work)  # not serving (the CLI, a bare test app)
        if self._busy >= self._size:
            raise PasswordsBusyError("every password hashing thread is busy")
        # Counted busy until its thread is done with it, even if its caller gives up first.
        self._busy += 1
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((work, future, asyncio.get_running_loop()))
        return await future

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, future, loop = job
            try:
                result: Any = work()
            except Exception as exc:
                loop.call_soon_threadsafe(self._finish, future, None, exc)
            else:
                loop.call_soon_threadsafe(self._finish, future, result, None)

    def _finish(self, future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
        """On the event loop: a thread is free again; answer its caller if still waiting."""
        self._busy -= 1
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


def init_app(app: Quart) -> Passwords:
    passwords = Passwords(
        time_cost=app.config["PASSWORD_HASH_TIME_COST"],
        memory_kib=app.config["PASSWORD_HASH_MEMORY_KIB"],
        parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
        threads=app.config["PASSWORD_HASH_THREADS"],
    )
    app.extensions["quart_pizza.passwords"] = passwords
    app.before_serving(passwords.start)
    app.after_serving(passwords.stop)
    return passwords


def get_passwords() -> Passwords:
    """The current app's password hasher."""
    passwords: Passwords = current_app.extensions["quart_pizza.passwords"]
    return passwords
