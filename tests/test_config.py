import stat
from pathlib import Path

import pytest

from quart_pizza import create_app
from quart_pizza.config import ConfigError, load_or_create_secret_key
from quart_pizza.store.postgres import PostgresStore
from quart_pizza.store.sqlite import DatabaseUrlError, SqliteStore, database_path


def test_secret_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = load_or_create_secret_key(instance)
    assert len(first) >= 64
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600
    assert load_or_create_secret_key(instance) == first
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary files left


def test_app_without_a_key_uses_the_instance_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIZZA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("PIZZA_SECRET_KEY", raising=False)
    first, second = create_app(), create_app()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()


def test_settings_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIZZA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PIZZA_SECRET_KEY", "from-env" * 4)
    monkeypatch.setenv("PIZZA_SECRET_KEY_FALLBACKS", f'["{"older" * 8}", "{"oldest" * 8}"]')
    monkeypatch.setenv("PIZZA_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("PIZZA_SESSION_COOKIE_SECURE", "true")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env" * 4
    assert app.config["SECRET_KEY_FALLBACKS"] == ["older" * 8, "oldest" * 8]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    store = app.extensions["quart_pizza.store"]
    assert isinstance(store, SqliteStore)
    assert store.path == tmp_path / "env.db"


def test_database_url(tmp_path: Path) -> None:
    assert database_path(None, tmp_path) == tmp_path / "quart_pizza.sqlite3"
    assert database_path("sqlite:////var/lib/pizza.db", tmp_path) == Path("/var/lib/pizza.db")
    assert database_path("sqlite:///rel.db", tmp_path) == tmp_path / "rel.db"
    for bad in ("postgres://x/y", "sqlite://", "sqlite:///", "/tmp/x.db"):
        with pytest.raises(DatabaseUrlError):
            database_path(bad, tmp_path)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgres_url_selects_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("PIZZA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PIZZA_DATABASE_URL", f"{scheme}://pizza:s3cret@db.internal:5433/shop")
    monkeypatch.setenv("PIZZA_DATABASE_POOL_SIZE", "7")
    monkeypatch.setenv("PIZZA_DATABASE_STATEMENT_CACHE_SIZE", "0")
    store = create_app().extensions["quart_pizza.store"]
    assert isinstance(store, PostgresStore)
    assert store.settings.pool_size == 7
    assert store.settings.statement_cache_size == 0
    # What the migrate command and the logs show: never the password.
    assert str(store) == f"{scheme}://pizza@db.internal:5433/shop"


@pytest.mark.parametrize(
    ("key", "fallbacks"),
    [
        ("short", None),  # guessable
        ("12345678901234567890123456789012345", None),  # a number once parsed from JSON
        ("k" * 40, "3f9a" * 10),  # a bare string: every character would be a key
        ("k" * 40, "12345"),  # a number
        ("k" * 40, '["old"]'),  # a short fallback
        ("k" * 40, '{"a": "b"}'),
    ],
)
def test_weak_or_malformed_keys_stop_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, fallbacks: str | None
) -> None:
    monkeypatch.setenv("PIZZA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PIZZA_SECRET_KEY", key)
    if fallbacks is None:
        monkeypatch.delenv("PIZZA_SECRET_KEY_FALLBACKS", raising=False)
    else:
        monkeypatch.setenv("PIZZA_SECRET_KEY_FALLBACKS", fallbacks)
    with pytest.raises(ConfigError, match="PIZZA_SECRET_KEY"):
        create_app()


def test_rotation_keys_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIZZA_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PIZZA_SECRET_KEY", "n" * 32)
    monkeypatch.setenv("PIZZA_SECRET_KEY_FALLBACKS", f'["{"o" * 32}"]')
    assert create_app().config["SECRET_KEY_FALLBACKS"] == ["o" * 32]
