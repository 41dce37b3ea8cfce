"""Password hashing with argon2id, run in a thread so the event loop never waits on it."""

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from quart import current_app


class Passwords:
    """Hashes and checks passwords; an unknown user costs the same as a wrong password."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._reference_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check `password`; with no hash (unknown user) check against a reference hash."""
        if self._reference_hash is None:
            self._reference_hash = await self.hash(secrets.token_urlsafe(16))
        return await asyncio.to_thread(
            self._verify, password_hash or self._reference_hash, password
        ) and (password_hash is not None)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other cost settings than today's."""
        return self._hasher.check_needs_rehash(password_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def get_passwords() -> Passwords:
    """The current app's password hasher."""
    passwords: Passwords = current_app.extensions["quart_pizza.passwords"]
    return passwords
