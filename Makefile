# The README's commands. `make run` / `make stop` / `make test` are all a newcomer needs.
SHELL := /bin/bash
TOOLS := .pulse/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
UV_VERSION := 0.13.9

.PHONY: run stop status test lint docs bench install clean system-tools

# uv installs the locked dependencies; it comes from PyPI into a private folder so that
# nothing outside the clone changes.
$(UV):
	@command -v python3 >/dev/null || { echo "python3 (3.11) is required" >&2; exit 1; }
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python python3.11
	@touch $@

# The website's GOV.UK Frontend assets and axe-core (browser tests) from npm, with the
# machine's npm and the committed lock file; copied into reporting's ignored static folder.
WEB := deploy/web
ASSETS := services/reporting/web/static

$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is required for the website's assets" >&2; exit 1; }
	npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error

$(ASSETS)/.copied: $(WEB)/node_modules/.package-lock.json
	rm -rf $(ASSETS) && mkdir -p $(ASSETS)
	cp -r $(WEB)/node_modules/govuk-frontend/dist/govuk/assets/fonts $(WEB)/node_modules/govuk-frontend/dist/govuk/assets/images $(ASSETS)/
	cp $(WEB)/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css $(ASSETS)/
	@touch $@

# Prometheus (promtool) and Chromium from Debian where missing (see the script).
system-tools:
	@deploy/local/install-system-tools.sh

install: $(VENV)/.synced $(ASSETS)/.copied system-tools

## make run: real Kafka and database (Docker when an engine answers, else the local stack), the four services
run: install
	$(VENV)/bin/pulse start

## make stop: stop the services and the local stack
stop:
	@if [ -x $(VENV)/bin/pulse ]; then $(VENV)/bin/pulse stop; else echo "nothing installed, nothing to stop"; fi

status: install
	$(VENV)/bin/pulse status

## make test: install what is needed, lint and type-check, then the whole suite against real infrastructure
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services ops
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services ops
	$(VENV)/bin/lint-imports

## make docs: event catalogue, AsyncAPI, OpenAPI, and the website's screenshots (a browser test
## on a small simulated year writes docs/screenshots/*.png; needs Kafka and the database like `make test`)
docs: install
	$(VENV)/bin/pulse docs
	PULSE_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest -q tests/integration/reporting/test_scorecard_web.py

bench: install
	$(VENV)/bin/pulse bench

clean: stop
	rm -rf .pulse $(VENV)
