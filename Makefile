# Win Room — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo test test-fast lint format bench fuzz system-deps clean screenshots sounds

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install python3.11 (Debian: apt-get install python3.11 python3.11-venv)" >&2; exit 1; }
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP) ## the main job: backend on embedded SQLite, simulator, TV and seller windows
	@packaging/system_deps.sh --ensure
	$(VENV)/bin/winroom demo

test: $(STAMP) ## the whole test suite (+ lint); Postgres/Redis tests when their URLs are set
	@packaging/system_deps.sh --check-test
	$(MAKE) --no-print-directory lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

test-fast: $(STAMP) ## the tests without lint, stopping at the first failure
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -x -q

lint: $(STAMP) ## ruff, mypy and the import layering contracts
	$(VENV)/bin/ruff check backend winroom_desktop tests bench
	$(VENV)/bin/ruff format --check backend winroom_desktop tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix backend winroom_desktop tests bench
	$(VENV)/bin/ruff format backend winroom_desktop tests bench

bench: $(STAMP) ## run the benchmarks (figures go to docs/benchmarks.md)
	@for b in bench/*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(PY) $$b || exit 1; done

fuzz: $(STAMP) ## fuzz the HTTP API from its OpenAPI document (Schemathesis, own venv)
	scripts/fuzz_api.sh

sounds: $(STAMP) ## synthesize the twelve sounds into winroom_desktop/assets/sounds/
	$(PY) scripts/make_sounds.py

screenshots: $(STAMP) ## render the windows offscreen into docs/screenshots/
	$(PY) scripts/screenshots.py

system-deps: ## install the Debian packages the desktop apps need (as root; make demo does it as root)
	packaging/system_deps.sh --install

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .fuzz-venv .mypy_cache .ruff_cache .pytest_cache
