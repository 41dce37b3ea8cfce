"""`pip install .` must give a working app: the wheel carries templates, static files, SQL
(SQLite's migrations and PostgreSQL's in migrations/postgres/)."""

import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_templates_static_files_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(PROJECT_ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("quart_pizza-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = (
        {f"quart_pizza/templates/{path.name}" for path in (PROJECT_ROOT / "templates").iterdir()}
        | {
            f"quart_pizza/migrations/{path.relative_to(PROJECT_ROOT / 'migrations').as_posix()}"
            for path in (PROJECT_ROOT / "migrations").rglob("*.sql")
        }
        | {"quart_pizza/static/style.css", "quart_pizza/__init__.py"}
    )
    assert expected <= names
    assert not any(name.startswith("tests/") for name in names)
