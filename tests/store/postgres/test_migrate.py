import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from quart_pizza.store.migrations import load_migrations
from quart_pizza.store.postgres.migrate import migrate, postgres_migrations_dir

ALL = [1, 2, 3, 4, 5, 6]  # every migration in migrations/postgres/


async def fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


def test_postgres_migrations_mirror_the_sqlite_ones() -> None:
    postgres = [(m.version, m.name) for m in load_migrations(postgres_migrations_dir())]
    assert postgres == [(m.version, m.name) for m in load_migrations()]


async def test_fresh_database_gets_every_migration_once(postgres_database: str) -> None:
    assert await migrate(postgres_database) == ALL
    assert await migrate(postgres_database) == []
    rows = await fetch(postgres_database, "SELECT version, name FROM schema_migrations ORDER BY 1")
    assert rows == [
        (1, "create_schema"),
        (2, "seed_menu"),
        (3, "order_idempotency_keys"),
        (4, "logins_and_throttling"),
        (5, "cart_and_preferences"),
        (6, "order_status"),
    ]
    pizzas = await fetch(postgres_database, "SELECT id, slug, vegetarian FROM pizzas ORDER BY id")
    assert pizzas == [
        (1, "margherita", 1),
        (2, "pepperoni", 0),
        (3, "funghi", 1),
        (4, "quattro-formaggi", 1),
        (5, "diavola", 0),
        (6, "vegetariana", 1),
    ]
    prices = await fetch(postgres_database, "SELECT sum(price_cents), count(*) FROM pizza_prices")
    assert prices == [(21950, 18)]
    # The seed gave its ids: a new pizza's is drawn after them.
    new_id = await fetch(
        postgres_database,
        "INSERT INTO pizzas (slug, name, description) VALUES ('new', 'New', '') RETURNING id",
    )
    assert new_id == [(7,)]


async def test_names_and_times_read_as_on_sqlite(postgres_database: str) -> None:
    await migrate(postgres_database)
    await fetch(
        postgres_database, "INSERT INTO users (username, password_hash) VALUES ('Alice', 'h')"
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        await fetch(
            postgres_database, "INSERT INTO users (username, password_hash) VALUES ('aLICE', 'h')"
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            postgres_database, "INSERT INTO pizzas (slug, name, description) VALUES ('-x', '', '')"
        )
    [(created_at,)] = await fetch(postgres_database, "SELECT created_at FROM users")
    assert created_at.endswith("Z") and len(created_at) == len("2026-11-25T19:45:12.123Z")


async def test_concurrent_workers_apply_each_migration_once(postgres_database: str) -> None:
    """Six workers start together on a new database, as hypercorn workers on several hosts do."""
    results = await asyncio.gather(*(migrate(postgres_database) for _ in range(6)))
    # Each migration is applied by exactly one worker, in order, whoever holds the lock then.
    assert sorted(version for applied in results for version in applied) == ALL
    assert all(applied == sorted(applied) for applied in results)
    versions = await fetch(postgres_database, "SELECT version FROM schema_migrations ORDER BY 1")
    assert versions == [(v,) for v in ALL]
    assert await fetch(postgres_database, "SELECT count(*) FROM pizzas") == [(6,)]


async def test_later_migrations_carry_existing_rows(postgres_database: str, tmp_path: Path) -> None:
    first_three = tmp_path / "migrations"
    first_three.mkdir()
    for path in sorted(postgres_migrations_dir().glob("000[123]_*.sql")):
        shutil.copy(path, first_three)
    assert await migrate(postgres_database, first_three) == [1, 2, 3]
    await fetch(
        postgres_database,
        """WITH alice AS (INSERT INTO users (username, password_hash) VALUES ('alice', 'h')
                          RETURNING id)
           INSERT INTO orders (user_id, guest_key, idempotency_key)
           VALUES ((SELECT id FROM alice), NULL, 'k1'), (NULL, 'guest', 'k2'),
                  (NULL, 'g2', NULL)""",
    )
    assert await migrate(postgres_database) == [4, 5, 6]
    owners = await fetch(postgres_database, "SELECT idempotency_owner FROM orders ORDER BY id")
    assert owners == [("u:1",), ("g:guest",), (None,)]
    events = await fetch(
        postgres_database,
        """SELECT e.order_id, e.status, e.actor, e.user_id, e.at = o.created_at
             FROM order_events e JOIN orders o ON o.id = e.order_id ORDER BY e.id""",
    )
    assert events == [
        (1, "placed", "customer", 1, True),
        (2, "placed", "customer", None, True),
        (3, "placed", "customer", None, True),
    ]


async def test_a_failing_migration_is_rolled_back_whole(
    postgres_database: str, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("CREATE TABLE a (x integer);")
    (migrations / "0002_bad.sql").write_text(
        "CREATE TABLE b (x integer); INSERT INTO nope VALUES (1);"
    )
    with pytest.raises(asyncpg.UndefinedTableError, match="nope"):
        await migrate(postgres_database, migrations)
    tables = await fetch(postgres_database, "SELECT to_regclass('a') IS NOT NULL, to_regclass('b')")
    assert tables == [(True, None)]
    assert await fetch(postgres_database, "SELECT version FROM schema_migrations") == [(1,)]
