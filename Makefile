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
# pytest caches compiled modules (halves each process's collection) even where the environment says not to.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest
# The web application (web/: Vue 3 + Vite), built into web/dist and served by the registry under /app/.
WEB_STAMP := web/node_modules/.installed
WEB_DIST := web/dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
# Debian packages: the font certificates embed and headless LibreOffice for reviewers' previews of
# Word and PowerPoint parts (run), and the tools the tests compare against or drive (independent
# references, a real browser, PDF rendering and QR decoding).
RUN_DEBS := fonts-wqy-microhei libreoffice-writer-nogui libreoffice-impress-nogui
TEST_DEBS := $(RUN_DEBS) ipfs-cid golang-go chromium poppler-utils zbar-tools
BENCH_DEBS := $(TEST_DEBS) wrk

.PHONY: setup build web web-types run run-deps test test-fast test-deps bench bench-deps clean help

help:
	@echo "make run    set up, compile, start the embedded chain and the registry on 127.0.0.1:8000"
	@echo "make test   set up, compile, run the whole test suite"
	@echo "make test-fast  the fast subset (no anvil, no PostgreSQL) on every core, under a minute"
	@echo "make bench  run the benchmarks in bench/"

setup: $(PY_STAMP) $(NPM_STAMP) $(WEB_STAMP)

$(PY_STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(WEB_DIST): $(WEB_SOURCES) web/package-lock.json | $(WEB_STAMP)
	cd web && npx vite build --logLevel warn

web: $(WEB_DIST)

# The web application's API types, generated from the registry's OpenAPI document (committed; a test
# fails when they are stale: run this after changing the API).
web-types: $(PY_STAMP) $(WEB_STAMP)
	mkdir -p build
	$(PY) -m registry.openapi > build/openapi.json
	cd web && npx openapi-typescript ../build/openapi.json -o src/api/schema.d.ts

# The artifacts are committed; they are rebuilt (reproducibly) when a source is newer.
$(ARTIFACTS): $(SOLIDITY) package-lock.json | $(PY_STAMP) $(NPM_STAMP)
	$(PY) -m ledger_service.chain compile
	touch $@

build: setup $(ARTIFACTS) web

run: build run-deps
	$(PY) -m registry

# Installs what is missing when run as root (CI, fresh machines); otherwise says what to install:
# the service falls back to a non-embedded PDF font, and the tests that need a tool skip with that
# reason (`.ci/run` makes them required).
define install_debs
	@missing="$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done)"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "note: missing Debian packages: $$missing; install: sudo apt-get install $$missing"; \
		fi; \
	fi
endef

run-deps:
	$(call install_debs,$(RUN_DEBS))

test-deps:
	$(call install_debs,$(TEST_DEBS))

bench-deps:
	$(call install_debs,$(BENCH_DEBS))

test: build test-deps
	$(PY) -m mypy ledger_service registry wallet_cli
	$(PY) -m ruff check --quiet --select F,E9,B,I,E501 ledger_service registry wallet_cli tests bench
	$(PY) -m ruff format --quiet --check ledger_service registry wallet_cli tests bench
	cd web && npx vue-tsc --noEmit -p tsconfig.json
	$(PYTEST) $(PYTEST_ARGS)

# The fast subset while working: py-evm, no chain process, no server, no PostgreSQL; pytest-xdist
# runs it on every core (-n auto). The whole suite stays `make test` (serial: see README "Tests").
test-fast: setup $(ARTIFACTS)
	$(PYTEST) -m "not anvil and not postgres" -n auto --dist worksteal $(PYTEST_ARGS)

bench: build bench-deps
	$(PY) bench/chain_throughput.py
	$(PY) bench/content_ingest.py
	$(PY) bench/credentials.py
	$(PY) bench/registry_load.py
	$(PY) bench/search.py
	$(PY) bench/role_checks.py
	$(PY) bench/programme_scale.py
	$(PY) bench/web.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache data web/node_modules web/dist build
