# Two commands do all the set-up: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/demo.yaml
# The MLflow tracking server the tests start: a tool in a venv of its own (tests/mlflow-requirements.txt).
MLFLOW_VENV := .venv-mlflow
MLFLOW_STAMP := $(MLFLOW_VENV)/.installed

.PHONY: run test lint check clean

$(STAMP): pyproject.toml client/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./client
	touch $(STAMP)

$(MLFLOW_STAMP): tests/mlflow-requirements.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/python -m pip install --quiet -r tests/mlflow-requirements.txt
	touch $(MLFLOW_STAMP)

## Generate the demo (first time only), backfill it, serve the dashboard on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/monitor demo --config $(CONFIG)

## Lint, type-check and run the whole suite
# loadfile: a module's tests run on one worker in order (1,052 s in CI on 2026-12-01). worksteal was
# hardly faster (1,022 s) and ran the signal tests of tests/pipeline/test_faults.py side by side; a
# backfill then hung after SIGTERM (docs/operations.md, "Known problems").
test: $(STAMP) $(MLFLOW_STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy monitor client/monitor_client tests
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) data .pytest_cache .mypy_cache .ruff_cache
