# Every target does its own set-up: a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-loaded docs lint format clean bench screenshots

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# The demo hotel and its staff's credentials (the same on every run), then the API. A busy
# port is reported before anything is touched: `make run PORT=8001`.
run: $(INSTALLED)
	$(BIN)/turnover demo --serve --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest
	$(MAKE) docs

# The same with one CPU-burning process per core: the suite must not depend on how busy
# the machine is (tests/busy_machine.py).
test-loaded: $(INSTALLED)
	$(BIN)/python -m tests.busy_machine $(MAKE) test

# The documentation site (site/): fails on any warning, e.g. a broken link.
docs: $(INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis site

# Benchmarks (bench/, docs/performance.md); PostgreSQL from TURNOVER_BENCH_POSTGRES_URL.
# `make bench ARGS=--quick` is CI's smoke mode: every scenario, small sizes.
bench: $(INSTALLED)
	$(BIN)/python -m bench $(ARGS)

# The pages' screenshots in docs/assets/screenshots/ (docs/board.md), from headless Chromium.
screenshots: $(INSTALLED)
	$(BIN)/python -m scripts.screenshots
