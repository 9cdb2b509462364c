# Developer commands of the Caserta resident parking platform. `make` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV ?= uv
# Where `pip install --user` puts uv when this machine had none.
export PATH := $(HOME)/.local/bin:$(PATH)
# --inexact keeps tools added to a developer's venv by hand; .ci/run syncs with --locked.
UV_SYNC_FLAGS ?= --inexact
RUN := $(UV) run --no-sync

GATEWAY_PORT ?= 8000
export GATEWAY_PORT
# Links in e-mails and the portal's API calls go through the gateway.
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(GATEWAY_PORT)
export API_BASE_URL ?= http://127.0.0.1:$(GATEWAY_PORT)

.PHONY: help uv install run test test-fast bench contracts lint create-operator create-admin clean compose-up compose-down

help: ## List the targets
	@echo "Usage: make <target> [VARIABLE=value]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

uv:
	@command -v $(UV) >/dev/null 2>&1 || { \
		echo "uv not found: installing it from PyPI with pip"; \
		$(PYTHON) -m pip install --quiet --user uv \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv \
		|| $(PYTHON) -m pip install --quiet uv; }

install: uv ## Install the Python dependencies (uv sync) and the portal's front-end assets (npm)
	$(UV) sync $(UV_SYNC_FLAGS)
	$(RUN) python -m portal assets

run: install ## Run everything locally on http://127.0.0.1:8000/ (Ctrl-C stops it)
	$(RUN) python -m devtools.stack prepare
	@echo "Starting the gateway, the portal, six services and the mail catcher:"
	@echo "  portal        http://127.0.0.1:$(GATEWAY_PORT)/"
	@echo "  mail catcher  http://127.0.0.1:$(GATEWAY_PORT)/dev/mail/"
	$(RUN) honcho start -f Procfile

test: uv ## Run every test: the end-to-end lane beside the rest (PYTEST_ARGS=...: one pytest with them)
	$(UV) run python -m devtools.testlanes $(PYTEST_ARGS)

test-fast: uv ## Run only the tests without database, broker, network or browser (not marked io)
	$(UV) run pytest -p devtools.pytest_guard -m "not io" --io-guard $(PYTEST_ARGS)

bench: uv ## Run the benchmarks: pipeline, scale-out, HTTP through the gateway, memory (BENCH_ARGS=--quick)
	$(UV) run python -m bench $(BENCH_ARGS)

contracts: uv ## Export the event contracts (JSON Schema, AsyncAPI)
	$(UV) run python -m contracts.export

lint: uv ## Check the code with ruff
	$(UV) run ruff check .

create-operator: uv ## Create an operator account: make create-operator EMAIL=... [PASSWORD=...]
	@test -n "$(EMAIL)" || { echo "usage: make create-operator EMAIL=name@example.it [PASSWORD=...]"; exit 2; }
	$(RUN) python -m identity create-user --role operator --email "$(EMAIL)" $(if $(PASSWORD),--password "$(PASSWORD)")

create-admin: uv ## Create an admin account: make create-admin EMAIL=... [PASSWORD=...]
	@test -n "$(EMAIL)" || { echo "usage: make create-admin EMAIL=name@example.it [PASSWORD=...]"; exit 2; }
	$(RUN) python -m identity create-user --role admin --email "$(EMAIL)" $(if $(PASSWORD),--password "$(PASSWORD)")

# The production-like stack of deploy/: every secret comes from deploy/.env, never a default.
COMPOSE := docker compose --env-file deploy/.env -f deploy/compose.yaml

deploy/.env:
	@echo "deploy/.env is missing: copy deploy/.env.example to deploy/.env and set every secret in it" >&2
	@echo "(see docs/operations.md); nothing was started." >&2
	@exit 2

compose-up: deploy/.env ## Build and start the Docker Compose stack (secrets from deploy/.env)
	$(COMPOSE) up --build --detach --wait

compose-down: deploy/.env ## Stop the Docker Compose stack (its volumes, the data, are kept)
	$(COMPOSE) down

clean: ## Remove generated files (var/, caches); keeps .venv and the databases
	rm -rf var .pytest_cache .ruff_cache
	find . -path ./.venv -prune -o -path ./web/node_modules -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
