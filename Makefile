# One entry point per task. Every target builds .venv first when it is missing or stale.
# `python3` resolves to Python 3.13 through .python-version (pyenv); PYTHON=... overrides it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-stock lint format migrate bench bench-quick bench-live screenshots clean

run: $(STAMP)  ## serve the shop at http://127.0.0.1:8000 on the embedded SQLite file
	$(BIN)/hypercorn -c hypercorn.toml 'quart_pizza:create_app()'

test: $(STAMP)  ## the whole test suite, with branch coverage
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

test-stock: $(STAMP)  ## the whole suite again on stock Quart and hypercorn (PIZZA_TUNING=off)
	PIZZA_TUNING=off $(BIN)/python -m pytest -q

screenshots: $(STAMP)  ## the README's pictures of the cart and the order, desktop and phone
	PIZZA_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/browser -k "fills_a_cart or kitchen_move"

lint: $(STAMP)  ## ruff and mypy --strict, as CI runs them
	$(BIN)/ruff check quart_pizza tests bench
	$(BIN)/ruff format --check quart_pizza tests bench
	$(BIN)/mypy

bench: $(STAMP)  ## full benchmark against the Flask original (~35 min); needs wrk
	$(BIN)/python -m bench.run --scaling

bench-quick: $(STAMP)  ## the same in under 2 minutes, one short repetition
	$(BIN)/python -m bench.run --quick

bench-live: $(STAMP)  ## 1,000 open order streams while orders are placed and moved (~5 min)
	$(BIN)/python -m bench.live

format: $(STAMP)
	$(BIN)/ruff check --fix quart_pizza tests bench
	$(BIN)/ruff format quart_pizza tests bench

migrate: $(STAMP)  ## create or update the database without starting the server
	$(BIN)/quart --app quart_pizza migrate

# Installs exactly the hashed versions in requirements/dev.txt, then the app itself (editable).
$(STAMP): requirements/dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else "quart_pizza needs Python 3.13+ (Quart 0.23): found " + sys.version.split()[0] + "; set PYTHON=python3.13")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Regenerate the locks after changing pyproject.toml: make lock
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.13 --universal --generate-hashes -q -o requirements/app.txt
	$(BIN)/uv pip compile pyproject.toml --extra test --extra dev --extra bench --python-version 3.13 --universal --generate-hashes -q -o requirements/dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
