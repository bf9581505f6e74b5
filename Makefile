# Two commands do all the set-up: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/demo.yaml

.PHONY: run test lint check clean

$(STAMP): pyproject.toml client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./client
	touch $(STAMP)

## Generate the demo (first time only), backfill it, serve the dashboard on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/monitor demo --config $(CONFIG)

## Lint, type-check and run the whole suite
test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy monitor client/monitor_client tests
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
