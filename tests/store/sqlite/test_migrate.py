import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quart_pizza import create_app
from quart_pizza.store.migrations import MigrationError, load_migrations
from quart_pizza.store.sqlite.migrate import migrate

from ...database import SqliteDatabase

ALL = [1, 2, 3, 4, 5, 6]  # every migration in migrations/


async def test_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "shop.sqlite3"
    assert await migrate(path) == ALL
    assert await migrate(path) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds password hashes
    db = SqliteDatabase.file(path)
    rows = await db.query("SELECT version, name FROM schema_migrations ORDER BY version")
    assert rows == [
        (1, "create_schema"),
        (2, "seed_menu"),
        (3, "order_idempotency_keys"),
        (4, "logins_and_throttling"),
        (5, "cart_and_preferences"),
        (6, "order_status"),
    ]
    slugs = {row[0] for row in await db.query("SELECT slug FROM pizzas")}
    assert {"margherita", "pepperoni"} <= slugs
    prices = await db.query("SELECT count(*) FROM pizza_prices")
    assert prices == [(3 * len(slugs),)]


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    assert [m.version for m in load_migrations()] == ALL
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError):
        load_migrations(tmp_path)
    (tmp_path / "0003_c.sql").rename(tmp_path / "2_bad.sql")
    with pytest.raises(MigrationError):
        load_migrations(tmp_path)


async def test_a_failing_migration_is_rolled_back_whole(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("CREATE TABLE a (x INTEGER);")
    (migrations / "0002_bad.sql").write_text(
        "CREATE TABLE b (x INTEGER); INSERT INTO nope VALUES (1);"
    )
    path = tmp_path / "db.sqlite3"
    with pytest.raises(Exception, match="no such table: nope"):
        await migrate(path, migrations)
    db = SqliteDatabase.file(path)
    tables = {row[0] for row in await db.query("SELECT name FROM sqlite_master")}
    assert "a" in tables and "b" not in tables
    assert await db.query("SELECT version FROM schema_migrations") == [(1,)]


def test_workers_starting_together_on_a_new_file_migrate_once(tmp_path: Path) -> None:
    """Several processes race to migrate the same new file, as hypercorn workers do."""
    path = tmp_path / "race.sqlite3"
    script = (
        "import asyncio, sys; from pathlib import Path; "
        "from quart_pizza.store.sqlite.migrate import migrate; "
        "print(asyncio.run(migrate(Path(sys.argv[1]))))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    outputs = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    assert sorted(outputs) == [str(ALL)] + ["[]"] * 5


def test_migrate_cli_command(config: dict[str, Any]) -> None:
    app = create_app(config)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert f"applied {ALL}" in result.output
    result = runner.invoke(args=["migrate"])
    assert "already up to date" in result.output
