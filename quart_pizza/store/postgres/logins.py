"""SQL for logins (one row per logged-in browser) and for the attempts that limits count."""

from dataclasses import dataclass

import asyncpg

from ...models.order import Owner
from ...models.times import now_text
from ...models.user import Attempts, Login, LoginEndedError, token_hash
from ..rows import logins_from_rows
from .text import storable, storable_or_none


async def insert_login(conn: asyncpg.Connection, user_id: int, token: str, user_agent: str) -> int:
    login_id: int = await conn.fetchval(
        """INSERT INTO logins (token_hash, user_id, user_agent) VALUES ($1, $2, $3)
           RETURNING id""",
        token_hash(token),
        user_id,
        storable(user_agent[:200]),
    )
    return login_id


@dataclass(frozen=True)
class LiveLogin:
    """What makes the owner's login live: its token and account, used since `idle_since`,
    created since `created_since`. A statement that acts for a customer can carry the check
    (`LiveLogin.query`), so that it costs no round trip of its own."""

    token_hash: str
    user_id: int
    idle_since: str
    created_since: str

    @classmethod
    def of(cls, owner: Owner, idle_since: str, created_since: str) -> "LiveLogin":
        if owner.login is None or owner.user_id is None:
            raise LoginEndedError("no login")
        return cls(token_hash(owner.login), owner.user_id, idle_since, created_since)

    @staticmethod
    def query(first: int) -> str:
        """The live login's id and last use, its four parameters numbered from `first`."""
        token, user, idle, created = (f"${number}" for number in range(first, first + 4))
        return f"""SELECT id AS login_id, last_seen_at FROM logins
                    WHERE token_hash = {token} AND user_id = {user}
                      AND last_seen_at >= {idle} AND created_at >= {created}"""

    @property
    def args(self) -> tuple[str, int, str, str]:
        return (self.token_hash, self.user_id, self.idle_since, self.created_since)


async def select_live_login(conn: asyncpg.Connection, check: LiveLogin) -> asyncpg.Record:
    """The login row if it is still live; raises `LoginEndedError` otherwise."""
    row = await conn.fetchrow(LiveLogin.query(1), *check.args)
    if row is None:
        raise LoginEndedError("the login has ended")
    return row


async def touch_login(conn: asyncpg.Connection, login_id: int, seen_before: str) -> None:
    """Note that the login was used now, unless that was noted since `seen_before`."""
    await conn.execute(
        "UPDATE logins SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $3",
        login_id,
        now_text(),
        seen_before,
    )


async def select_logins(conn: asyncpg.Connection, user_id: int, current_id: int) -> list[Login]:
    rows = await conn.fetch(
        """SELECT id, created_at, last_seen_at, user_agent FROM logins
            WHERE user_id = $1 ORDER BY last_seen_at DESC, id DESC""",
        user_id,
    )
    return logins_from_rows(rows, current_id)


async def delete_login(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute("DELETE FROM logins WHERE token_hash = $1", token_hash(token))


async def delete_login_of(conn: asyncpg.Connection, user_id: int, login_id: int) -> bool:
    """End one of the user's logins; False if the user has no such login."""
    status: str = await conn.execute(
        "DELETE FROM logins WHERE id = $1 AND user_id = $2", login_id, user_id
    )
    return status == "DELETE 1"


async def delete_logins(
    conn: asyncpg.Connection, user_id: int, except_id: int | None = None
) -> None:
    """End every login of the user (but `except_id`)."""
    await conn.execute(
        "DELETE FROM logins WHERE user_id = $1 AND id IS DISTINCT FROM $2", user_id, except_id
    )


async def insert_attempt(
    conn: asyncpg.Connection, kind: str, client: str, username: str | None, forget_before: str
) -> None:
    """Count an attempt; attempts older than every window (`forget_before`) are dropped."""
    await conn.execute("DELETE FROM auth_attempts WHERE at < $1", forget_before)
    await conn.execute(
        "INSERT INTO auth_attempts (kind, username, client) VALUES ($1, $2, $3)",
        kind,
        storable_or_none(username),
        storable(client),
    )


async def count_attempts(
    conn: asyncpg.Connection, kind: str, since: str, *, username: str | None = None,
    client: str | None = None,
) -> Attempts:  # fmt: skip
    """Attempts of `kind` since `since`, by one username (any case) or from one client."""
    if username is not None:
        row = await conn.fetchrow(
            """SELECT count(*), min(at) FROM auth_attempts
                WHERE kind = $1 AND lower(username) = lower($2) AND at >= $3""",
            kind,
            storable(username),
            since,
        )
    else:
        row = await conn.fetchrow(
            """SELECT count(*), min(at) FROM auth_attempts
                WHERE kind = $1 AND client = $2 AND at >= $3""",
            kind,
            storable_or_none(client),
            since,
        )
    return Attempts(row[0], row[1])


async def delete_login_failures(conn: asyncpg.Connection, username: str) -> None:
    await conn.execute(
        """DELETE FROM auth_attempts
            WHERE kind = 'login_failure' AND lower(username) = lower($1)""",
        storable(username),
    )
