"""The numbered SQL migrations in `migrations/`: `NNNN_name.sql`, applied once each, in order."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..resources import resource_dir

MIGRATION_FILE: Final = re.compile(r"(?P<version>[0-9]{4})_(?P<name>[a-z0-9_]+)\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


class MigrationError(RuntimeError):
    """The migrations folder is inconsistent; raised at start."""


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Every `NNNN_name.sql` file in order; versions must run 1, 2, 3, ... without gaps."""
    directory = directory or resource_dir("migrations")
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_FILE.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"{path.name} is not named like 0001_create_users.sql")
        migrations.append(
            Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8"))
        )
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration versions must be 1..n without gaps, got {versions}")
    return migrations
