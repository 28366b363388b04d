# cxloop — two commands for a new machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench messages install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Create the venv, install, migrate, load the demo and serve it on http://127.0.0.1:8000 (SQLite).
demo: $(STAMP)
	$(VENV)/bin/cxloop demo

## The whole suite: lint (ruff, mypy, import-linter), then pytest on SQLite and on PostgreSQL.
test: $(STAMP) lint
	$(PY) scripts/run_tests.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests scripts benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## Benchmarks (figures go to docs/benchmarks.md).
bench: $(STAMP)
	$(PY) benchmarks/run_all.py

## Re-extract and compile the UI translations (needs GNU gettext).
messages: $(STAMP)
	cd src/cxloop && ../../$(VENV)/bin/django-admin makemessages -l zh_Hans -l zh_Hant -l en --no-obsolete --ignore "demo/*"
	cd src/cxloop && ../../$(VENV)/bin/django-admin compilemessages

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
