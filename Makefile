# EduLedger: `make run` starts everything on an embedded chain, `make test` runs the whole suite.
# Both set the machine up first (virtualenv, Python and npm packages, compiled contracts).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
ARTIFACTS := ledger_service/chain/artifacts/contracts.json
SOLIDITY := $(shell find contracts -name '*.sol')
PYTEST_ARGS ?=

.PHONY: setup build run test bench clean help

help:
	@echo "make run    set up, compile, start the embedded chain and the registry on 127.0.0.1:8000"
	@echo "make test   set up, compile, run the whole test suite"
	@echo "make bench  run the benchmarks in bench/"

setup: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The artifacts are committed; they are rebuilt (reproducibly) when a source is newer.
$(ARTIFACTS): $(SOLIDITY) package-lock.json | $(PY_STAMP) $(NPM_STAMP)
	$(PY) -m ledger_service.chain compile
	touch $@

build: setup $(ARTIFACTS)

run: build
	$(PY) -m registry

test: build
	$(PY) -m mypy ledger_service registry wallet_cli
	$(PY) -m pytest $(PYTEST_ARGS)

bench: build
	$(PY) bench/chain_throughput.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache data
