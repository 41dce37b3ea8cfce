"""SQL for logins (one row per logged-in browser) and for the attempts that limits count."""

import sqlite3

from ...models.order import Owner
from ...models.times import now_text
from ...models.user import Attempts, Login, LoginEndedError, token_hash
from ..rows import logins_from_rows


def insert_login(conn: sqlite3.Connection, user_id: int, token: str, user_agent: str) -> int:
    cursor = conn.execute(
        """INSERT INTO logins (token_hash, user_id, user_agent)
           VALUES (:token_hash, :user_id, :user_agent)""",
        {"token_hash": token_hash(token), "user_id": user_id, "user_agent": user_agent[:200]},
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def select_live_login(
    conn: sqlite3.Connection, owner: Owner, idle_since: str, created_since: str
) -> sqlite3.Row:
    """The owner's login row if it is still live; raises `LoginEndedError` otherwise."""
    if owner.login is None or owner.user_id is None:
        raise LoginEndedError("no login")
    row = conn.execute(
        """SELECT id, last_seen_at FROM logins
            WHERE token_hash = :token_hash AND user_id = :user_id
              AND last_seen_at >= :idle_since AND created_at >= :created_since""",
        {
            "token_hash": token_hash(owner.login),
            "user_id": owner.user_id,
            "idle_since": idle_since,
            "created_since": created_since,
        },
    ).fetchone()
    if row is None:
        raise LoginEndedError("the login has ended")
    live: sqlite3.Row = row
    return live


def touch_login(conn: sqlite3.Connection, login_id: int, seen_before: str) -> None:
    """Note that the login was used now, unless that was noted since `seen_before`."""
    conn.execute(
        """UPDATE logins SET last_seen_at = :now
            WHERE id = :id AND last_seen_at < :seen_before""",
        {"id": login_id, "now": now_text(), "seen_before": seen_before},
    )


def select_logins(conn: sqlite3.Connection, user_id: int, current_id: int) -> list[Login]:
    rows = conn.execute(
        """SELECT id, created_at, last_seen_at, user_agent FROM logins
            WHERE user_id = :user_id ORDER BY last_seen_at DESC, id DESC""",
        {"user_id": user_id},
    ).fetchall()
    return logins_from_rows(rows, current_id)


def delete_login(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM logins WHERE token_hash = :h", {"h": token_hash(token)})


def delete_login_of(conn: sqlite3.Connection, user_id: int, login_id: int) -> bool:
    """End one of the user's logins; False if the user has no such login."""
    cursor = conn.execute(
        "DELETE FROM logins WHERE id = :id AND user_id = :user_id",
        {"id": login_id, "user_id": user_id},
    )
    return cursor.rowcount == 1


def delete_logins(conn: sqlite3.Connection, user_id: int, except_id: int | None = None) -> int:
    """End every login of the user (but `except_id`); how many ended."""
    cursor = conn.execute(
        "DELETE FROM logins WHERE user_id = :user_id AND id IS NOT :except_id",
        {"user_id": user_id, "except_id": except_id},
    )
    return cursor.rowcount


def insert_attempt(
    conn: sqlite3.Connection, kind: str, client: str, username: str | None, forget_before: str
) -> None:
    """Count an attempt; attempts older than every window (`forget_before`) are dropped."""
    conn.execute("DELETE FROM auth_attempts WHERE at < :before", {"before": forget_before})
    conn.execute(
        """INSERT INTO auth_attempts (kind, username, client)
           VALUES (:kind, :username, :client)""",
        {"kind": kind, "username": username, "client": client},
    )


def count_attempts(
    conn: sqlite3.Connection, kind: str, since: str, *, username: str | None = None,
    client: str | None = None,
) -> Attempts:  # fmt: skip
    """Attempts of `kind` since `since`, by one username or from one client."""
    if username is not None:
        row = conn.execute(
            """SELECT count(*), min(at) FROM auth_attempts
                WHERE kind = :kind AND username = :username AND at >= :since""",
            {"kind": kind, "username": username, "since": since},
        ).fetchone()
    else:
        row = conn.execute(
            """SELECT count(*), min(at) FROM auth_attempts
                WHERE kind = :kind AND client = :client AND at >= :since""",
            {"kind": kind, "client": client, "since": since},
        ).fetchone()
    return Attempts(row[0], row[1])


def delete_login_failures(conn: sqlite3.Connection, username: str) -> None:
    conn.execute(
        "DELETE FROM auth_attempts WHERE kind = 'login_failure' AND username = :username",
        {"username": username},
    )
