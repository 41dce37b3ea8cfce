"""The layers, read from the imports: blueprints -> store/models/web -> database, and the tuning
kept apart from the shop."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "quart_pizza"


def imports_of(path: Path) -> set[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else sorted(PACKAGE.rglob("*.py"))


def test_the_import_reader_sees_relative_imports() -> None:
    assert "quart_pizza.store.get_store" in imports_of(PACKAGE / "blueprints" / "menu.py")


@pytest.mark.parametrize("path", modules("blueprints"), ids=lambda path: path.name)
def test_blueprints_use_the_store_never_a_connection_nor_each_other(path: Path) -> None:
    names = imports_of(path)
    own = "quart_pizza.blueprints." + path.stem
    others = {
        name
        for name in names
        if name.startswith("quart_pizza.blueprints.") and not name.startswith(own)
    }
    assert others == set(), f"{path.name} imports another blueprint"
    assert not names & {"sqlite3", "aiosqlite", "asyncpg"}
    assert not any(
        name.startswith("quart_pizza.store.")
        and ".store.get_store" not in name
        and not name.startswith("quart_pizza.store.StoreUnavailableError")
        for name in names
    ), f"{path.name} reaches past the store's seam"


@pytest.mark.parametrize(
    "path",
    [p for p in modules("") if "tuning" not in p.parts and p != PACKAGE / "__init__.py"],
    ids=lambda path: str(path.relative_to(PACKAGE)),
)
def test_the_shop_imports_nothing_from_the_tuning(path: Path) -> None:
    assert not any(name.startswith("quart_pizza.tuning") for name in imports_of(path))


@pytest.mark.parametrize("path", modules("models"), ids=lambda path: path.name)
def test_models_know_no_database_and_no_web(path: Path) -> None:
    names = imports_of(path)
    assert not names & {"sqlite3", "aiosqlite", "asyncpg", "quart"}
    assert not any(name.startswith(("quart_pizza.store", "quart_pizza.web")) for name in names)


@pytest.mark.parametrize("path", modules("web"), ids=lambda path: path.name)
def test_the_web_layer_reaches_no_database_directly(path: Path) -> None:
    names = imports_of(path)
    assert not names & {"sqlite3", "aiosqlite", "asyncpg"}
    assert not any(name.startswith("quart_pizza.store.sqlite") for name in names)
    assert not any(name.startswith("quart_pizza.blueprints") for name in names)
