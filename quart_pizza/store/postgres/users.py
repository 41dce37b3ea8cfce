"""SQL for customer accounts. Usernames compare without case (a unique index on
lower(username)), as SQLite's COLLATE NOCASE column does."""

import asyncpg
from asyncpg import exceptions

from ...models.preferences import Preferences
from ...models.user import User, UsernameTakenError
from .text import storable

USER_COLUMNS = "id, username, password_hash, staff"


def user_from_row(row: asyncpg.Record) -> User:
    return User(row["id"], row["username"], row["password_hash"], bool(row["staff"]))


async def select_user_by_username(conn: asyncpg.Connection, username: str) -> User | None:
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)", storable(username)
    )
    return None if row is None else user_from_row(row)


async def select_user(conn: asyncpg.Connection, user_id: int) -> User | None:
    row = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    return None if row is None else user_from_row(row)


async def update_staff(conn: asyncpg.Connection, username: str, staff: bool) -> bool:
    """Grant or revoke the staff role; False if there is no such user."""
    status: str = await conn.execute(
        "UPDATE users SET staff = $2 WHERE lower(username) = lower($1)",
        storable(username),
        int(staff),
    )
    return status == "UPDATE 1"


async def insert_user(conn: asyncpg.Connection, username: str, password_hash: str) -> int:
    """Create the account and return its id; raises `UsernameTakenError`."""
    try:
        user_id: int = await conn.fetchval(
            "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
            storable(username),
            password_hash,
        )
    except exceptions.UniqueViolationError as exc:
        raise UsernameTakenError(username) from exc
    return user_id


async def update_password_hash(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def select_preferences(conn: asyncpg.Connection, user_id: int) -> Preferences | None:
    """The customer's saved preferences; None if they never saved any."""
    row = await conn.fetchrow(
        "SELECT preferred_size, vegetarian_only FROM users WHERE id = $1", user_id
    )
    if row is None or (row["preferred_size"] is None and not row["vegetarian_only"]):
        return None
    return Preferences(row["preferred_size"], bool(row["vegetarian_only"]))


async def update_preferences(
    conn: asyncpg.Connection, user_id: int, preferences: Preferences
) -> None:
    await conn.execute(
        "UPDATE users SET preferred_size = $2, vegetarian_only = $3 WHERE id = $1",
        user_id,
        preferences.size,
        int(preferences.vegetarian),
    )
