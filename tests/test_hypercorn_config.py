"""hypercorn silently ignores unknown keys: read hypercorn.toml back to catch typos."""

import tomllib
from pathlib import Path

from hypercorn.config import Config

HYPERCORN_TOML = Path(__file__).resolve().parent.parent / "hypercorn.toml"


def test_every_key_is_a_hypercorn_setting() -> None:
    keys = tomllib.loads(HYPERCORN_TOML.read_text())
    defaults = Config()
    unknown = [key for key in keys if not hasattr(defaults, key)]
    assert unknown == []


def test_production_settings_are_read() -> None:
    config = Config.from_toml(HYPERCORN_TOML)
    assert config.bind == ["127.0.0.1:8000"]
    assert config.workers == 2
    assert config.worker_class == "uvloop"
    assert config.keep_alive_timeout == 5
    assert config.include_server_header is False
    assert config.backlog >= 1024
