"""The test's own handle on the shop's database, whichever the backend: read it, or change it
behind the app's back, with the same SQL (`:name` parameters) on SQLite and PostgreSQL.

Each call opens a connection of its own and closes it, so a handle works from any event loop
(`asyncio.run` in a sync test too) and never holds the database between calls. Foreign keys are
checked as on the app's own connections, unless a change says otherwise.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, SupportsIndex, overload

import aiosqlite
import asyncpg

from quart_pizza.store.postgres import is_postgres_url
from quart_pizza.store.sqlite import database_path

type Params = Mapping[str, Any] | None

# A quoted string or identifier (left alone), or a `:name` parameter: not the second colon
# of a `::type` cast, nor the colons of a time such as '19:45:12'.
PARAMETER: Final = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|(?<![:\w]):([A-Za-z_]\w*)""")


class Row(tuple[Any, ...]):
    """A row as a tuple (equal to one, sortable), whose columns can also be read by name."""

    columns: Mapping[str, int]

    def __new__(cls, values: Iterable[Any], columns: Mapping[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row.columns = columns
        return row

    @overload
    def __getitem__(self, key: SupportsIndex) -> Any: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: SupportsIndex | slice | str) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self.columns[key])
        return super().__getitem__(key)


def rows_of(names: Sequence[str], values: Iterable[Iterable[Any]]) -> list[Row]:
    columns = {name: index for index, name in enumerate(names)}
    return [Row(row, columns) for row in values]


class Database(ABC):
    """The database at `url`, as the app under test sees it."""

    backend: ClassVar[str]

    def __init__(self, url: str) -> None:
        self.url = url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    @abstractmethod
    async def query(self, sql: str, params: Params = None) -> list[Row]:
        """The rows the statement returns."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = None, *, foreign_keys: bool = True) -> None:
        """Run the statement and commit it; `foreign_keys=False` leaves rows the app's own
        connections could not (an account deleted under a live login)."""

    async def count_orders(self) -> int:
        rows = await self.query("SELECT count(*) FROM orders")
        return int(rows[0][0])

    async def make_staff(self, username: str) -> None:
        """What `quart --app quart_pizza staff add USERNAME` does."""
        await self.execute("UPDATE users SET staff = 1 WHERE username = :u", {"u": username})


class SqliteDatabase(Database):
    backend = "sqlite"

    @classmethod
    def file(cls, path: Path) -> "SqliteDatabase":
        return cls(f"sqlite:///{path}")

    @property
    def path(self) -> Path:
        # Tests name their files with absolute paths: no instance folder to resolve against.
        return database_path(self.url, Path("/"))

    async def query(self, sql: str, params: Params = None) -> list[Row]:
        async with (
            aiosqlite.connect(self.path) as conn,
            conn.execute(sql, params or {}) as cursor,
        ):
            names = [column[0] for column in cursor.description or ()]
            return rows_of(names, await cursor.fetchall())

    async def execute(self, sql: str, params: Params = None, *, foreign_keys: bool = True) -> None:
        async with aiosqlite.connect(self.path) as conn:
            await conn.execute(
                "PRAGMA foreign_keys = ON" if foreign_keys else "PRAGMA foreign_keys = OFF"
            )
            await conn.execute(sql, params or {})
            await conn.commit()


class PostgresDatabase(Database):
    backend = "postgres"

    async def query(self, sql: str, params: Params = None) -> list[Row]:
        statement, args = numbered(sql, params)
        conn = await asyncpg.connect(self.url)
        try:
            records = await conn.fetch(statement, *args)
        finally:
            await conn.close()
        names = list(records[0].keys()) if records else []
        return rows_of(names, (record.values() for record in records))

    async def execute(self, sql: str, params: Params = None, *, foreign_keys: bool = True) -> None:
        statement, args = numbered(sql, params)
        conn = await asyncpg.connect(self.url)
        try:
            if not foreign_keys:  # the checks are triggers, which a replica does not fire
                await conn.execute("SET session_replication_role = replica")
            await conn.execute(statement, *args)  # outside a transaction: committed at once
        finally:
            await conn.close()


def numbered(sql: str, params: Params) -> tuple[str, list[Any]]:
    """The statement with `:name` rewritten to asyncpg's `$1`, `$2`..., and their values."""
    params = params or {}
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    statement = PARAMETER.sub(number, sql)
    return statement, [params[name] for name in order]


def database_at(url: str) -> Database:
    """The handle for a `DATABASE_URL`: a `sqlite:///` file or a PostgreSQL database."""
    return PostgresDatabase(url) if is_postgres_url(url) else SqliteDatabase(url)
