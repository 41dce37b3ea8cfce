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
    # Also how old a signed cookie may be at most: as long as a login may live (below).
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    # A login ends after this many seconds without use, and this many after it began.
    "LOGIN_IDLE_TIMEOUT": 7 * 24 * 3600,
    "LOGIN_LIFETIME": 30 * 24 * 3600,
    # Failed logins: per username (every client) and per client address, in one window.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW": 900,
    "LOGIN_CLIENT_MAX_FAILURES": 50,  # 0: no per-client limit
    # Registrations per client address in a window (seconds); 0: no limit.
    "REGISTER_CLIENT_MAX": 10,
    "REGISTER_CLIENT_WINDOW": 3600,
    # A guest's orders move into the account they register within this many seconds of
    # placing them (the same person, minutes later); logging in never moves them.
    "GUEST_ORDERS_CLAIM_WINDOW": 1800,
    # Proxies in front whose X-Forwarded-For/-Proto/-Host are trusted; 0: none, the client
    # address is the connection's.
    "TRUSTED_PROXY_HOPS": 0,
    # Our largest form is a few hundred bytes; url-encoded bodies are bounded only by this.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    # Seconds a request body may take to arrive (408 after that).
    "BODY_TIMEOUT": 10,
    "DATABASE_URL": None,
    # The level of the app's own log (the `quart_pizza` logger, to stderr through Quart's
    # handler); hypercorn's log level is set in hypercorn.toml.
    "LOG_LEVEL": "INFO",
    # Reader threads per worker, each with a read-only connection of its own.
    "DATABASE_READERS": 2,
    # Seconds a write waits for the database (another worker's lock) before it is refused
    # with a 503, nothing stored. DATABASE_BUSY_TIMEOUT_MS, the old name, wins when set.
    "DATABASE_BUSY_TIMEOUT": 5.0,
    "DATABASE_BUSY_TIMEOUT_MS": None,
    # PostgreSQL (docs/deploy.md): connections in each worker's pool (each worker also holds
    # one listening connection for live updates), seconds a request waits for a pooled
    # connection before a 503, seconds to connect and for one statement, and prepared
    # statements kept per connection (0 behind pgbouncer in transaction mode).
    "DATABASE_POOL_SIZE": 4,
    "DATABASE_POOL_TIMEOUT": 5.0,
    "DATABASE_CONNECT_TIMEOUT": 5.0,
    "DATABASE_STATEMENT_TIMEOUT": 10.0,
    "DATABASE_STATEMENT_CACHE_SIZE": 100,
    # Seconds a starting worker waits for a database it cannot reach yet before it gives up.
    "DATABASE_START_WAIT": 30.0,
    # Tuning of Quart, hypercorn and the interpreter (quart_pizza/tuning/): a profile,
    # "default", "dedicated-host" or "off"; a TUNE_<PART> setting overrides it for one part.
    "TUNING": "default",
    # Live updates: how often each worker looks for events other workers committed (s), the
    # comment line that keeps an idle stream open (s), and open streams per session (per
    # worker; more get 429).
    "LIVE_POLL_SECONDS": 0.1,
    "SSE_HEARTBEAT_SECONDS": 15.0,
    "STREAMS_PER_SESSION": 4,
    # How long a worker shows the menu it last read before reading it again (seconds).
    "MENU_CACHE_SECONDS": 5.0,
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 65536,
    "PASSWORD_HASH_PARALLELISM": 4,
    # Hashing threads per worker: more concurrent logins than this get a 503 at once.
    "PASSWORD_HASH_THREADS": 2,
}

MIN_KEY_LENGTH: Final = 32


class ConfigError(RuntimeError):
    """The configuration cannot work; raised at start, never while serving."""


def check_keys(secret_key: object, fallbacks: object) -> None:
    """Refuse signing keys anyone could guess or forge with: each must be a string of at least
    MIN_KEY_LENGTH characters, and the fallbacks a list of them (a bare string would make
    every one of its characters a key)."""
    if not isinstance(secret_key, str) or len(secret_key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"PIZZA_SECRET_KEY must be a string of at least {MIN_KEY_LENGTH} characters "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))'), or unset to "
            "use the instance folder's key"
        )
    if fallbacks is None:
        return
    if not isinstance(fallbacks, list):
        raise ConfigError(
            "PIZZA_SECRET_KEY_FALLBACKS must be a JSON list of older keys, e.g. "
            f"'[\"old key\"]', got {type(fallbacks).__name__}"
        )
    for key in fallbacks:
        if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
            raise ConfigError(
                f"every key in PIZZA_SECRET_KEY_FALLBACKS must be a string of at least "
                f"{MIN_KEY_LENGTH} characters"
            )


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
