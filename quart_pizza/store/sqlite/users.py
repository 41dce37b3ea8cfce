"""SQL for customer accounts."""

import sqlite3

from ...models.preferences import Preferences
from ...models.user import User, UsernameTakenError


def user_from_row(row: sqlite3.Row) -> User:
    return User(row["id"], row["username"], row["password_hash"], bool(row["staff"]))


def select_user_by_username(conn: sqlite3.Connection, username: str) -> User | None:
    row = conn.execute(
        """SELECT id, username, password_hash, staff FROM users WHERE username = :username""",
        {"username": username},
    ).fetchone()
    return None if row is None else user_from_row(row)


def select_user(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute(
        """SELECT id, username, password_hash, staff FROM users WHERE id = :id""",
        {"id": user_id},
    ).fetchone()
    return None if row is None else user_from_row(row)


def update_staff(conn: sqlite3.Connection, username: str, staff: bool) -> bool:
    """Grant or revoke the staff role; False if there is no such user."""
    cursor = conn.execute(
        "UPDATE users SET staff = :staff WHERE username = :username",
        {"username": username, "staff": int(staff)},
    )
    return cursor.rowcount == 1


def insert_user(conn: sqlite3.Connection, username: str, password_hash: str) -> int:
    """Create the account and return its id; raises `UsernameTakenError`."""
    try:
        cursor = conn.execute(
            """INSERT INTO users (username, password_hash)
               VALUES (:username, :password_hash)""",
            {"username": username, "password_hash": password_hash},
        )
    except sqlite3.IntegrityError as exc:
        raise UsernameTakenError(username) from exc
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def update_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    conn.execute(
        """UPDATE users SET password_hash = :password_hash WHERE id = :id""",
        {"id": user_id, "password_hash": password_hash},
    )


def select_preferences(conn: sqlite3.Connection, user_id: int) -> Preferences | None:
    """The customer's saved preferences; None if they never saved any."""
    row = conn.execute(
        "SELECT preferred_size, vegetarian_only FROM users WHERE id = :id", {"id": user_id}
    ).fetchone()
    if row is None or (row["preferred_size"] is None and not row["vegetarian_only"]):
        return None
    return Preferences(row["preferred_size"], bool(row["vegetarian_only"]))


def update_preferences(conn: sqlite3.Connection, user_id: int, preferences: Preferences) -> None:
    conn.execute(
        """UPDATE users SET preferred_size = :size, vegetarian_only = :vegetarian
            WHERE id = :id""",
        {"id": user_id, "size": preferences.size, "vegetarian": int(preferences.vegetarian)},
    )
