# One entry point for people and CI. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test check lint types bench conformance screenshots clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

## run: start opencsms (SQLite in ./var, API on :8000, OCPP on :9000) with 5 simulated stations charging
run: setup
	$(BIN)/opencsms serve --demo 5

## test: the whole test suite (PostgreSQL tests skip when no server is reachable, fail when CI=true)
test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

types: setup
	$(BIN)/mypy

## check: lint, types and tests
check: lint types test

## bench: the load benchmark; writes docs/benchmarks.md
bench: setup
	$(BIN)/python -m benchmarks.run

## conformance: which OCA certification cases have an e2e test named after them; writes docs/conformance.md
conformance: setup
	$(BIN)/python -m tools.conformance

## screenshots: run the dashboard browser tests and save their screenshots to docs/screenshots
screenshots: setup
	OPENCSMS_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/dashboard

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
