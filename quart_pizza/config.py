"""Settings: defaults, `PIZZA_*` environment variables and the instance's secret key."""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

ENV_PREFIX: Final = "PIZZA"
SECRET_KEY_FILE: Final = "secret_key"

DEFAULTS: Final[dict[str, Any]] = {
    # The session cookie is signed, not encrypted: it holds ids, never secrets.
    "SESSION_COOKIE_NAME": "pizza_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Off so that the shop works on http://127.0.0.1; set PIZZA_SESSION_COOKIE_SECURE=true
    # behind TLS.
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=7),
    # Our largest form is a few hundred bytes; url-encoded bodies are bounded only by this.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    "BODY_TIMEOUT": 10,
    "DATABASE_URL": None,
    # The level of the app's own log (the `quart_pizza` logger, to stderr through Quart's
    # handler); hypercorn's log level is set in hypercorn.toml.
    "LOG_LEVEL": "INFO",
    # Reader threads per worker, each with a read-only connection of its own.
    "DATABASE_READERS": 2,
    # SQLite waits this long for another process's write lock before giving up (ms).
    "DATABASE_BUSY_TIMEOUT_MS": 5000,
    # Tuning of Quart, hypercorn and the interpreter (quart_pizza/tuning/): a profile,
    # "default", "dedicated-host" or "off"; a TUNE_<PART> setting overrides it for one part.
    "TUNING": "default",
    # How long a worker shows the menu it last read before reading it again (seconds).
    "MENU_CACHE_SECONDS": 5.0,
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 65536,
    "PASSWORD_HASH_PARALLELISM": 4,
}


class ConfigError(RuntimeError):
    """The configuration cannot work; raised at start, never while serving."""


def load_or_create_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) exactly once across workers."""
    path = instance_path / SECRET_KEY_FILE
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600; link() publishes it atomically and fails if
        # another worker won the race, in which case everybody reads the winner's key.
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"the secret key file {path} is empty")
    return key
