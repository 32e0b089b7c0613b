# The README's commands. `make run` / `make stop` / `make test` are all a newcomer needs.
SHELL := /bin/bash
TOOLS := .pulse/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
UV_VERSION := 0.13.9

.PHONY: run stop status test lint docs bench install clean

# uv installs the locked dependencies; it comes from PyPI into a private folder so that
# nothing outside the clone changes.
$(UV):
	@command -v python3 >/dev/null || { echo "python3 (3.11) is required" >&2; exit 1; }
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python python3.11
	@touch $@

install: $(VENV)/.synced

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

docs: install
	$(VENV)/bin/pulse docs

bench: install
	$(VENV)/bin/pulse bench

clean: stop
	rm -rf .pulse $(VENV)
