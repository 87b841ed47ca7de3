# coinpos: the two commands that matter come first.
#   make test   set everything up (idempotently) and run the whole test suite
#   make demo   set everything up and run the story on a local anvil chain and SQLite

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: test demo setup lint format bench clean openapi

test: setup
	$(BIN)/pip check
	$(BIN)/ape test tests $(PYTEST_ARGS)

demo: setup
	$(BIN)/ape run demo --network ethereum:local:foundry

# --- setup -------------------------------------------------------------------
# Each step re-runs only when its inputs change; a warm `make setup` costs a few seconds.

OZ_SOURCES := .deps/openzeppelin-contracts

setup: $(VENV)/.installed node_modules/.installed $(OZ_SOURCES)/.installed
	@$(BIN)/python toolchain/provision_solc.py
	@ln -sf ../../node_modules/.bin/anvil $(BIN)/anvil

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/pip check
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# OpenZeppelin's Solidity sources only, without the npm package's build artifacts.
$(OZ_SOURCES)/.installed: node_modules/.installed
	@rm -rf $(OZ_SOURCES) && mkdir -p $(OZ_SOURCES)
	@cd node_modules/@openzeppelin/contracts && find . -name '*.sol' -not -path './build/*' \
		-exec cp --parents {} $(CURDIR)/$(OZ_SOURCES)/ \;
	@touch $@

# --- quality -------------------------------------------------------------------

lint: setup
	$(BIN)/ruff check src tests scripts bench toolchain
	$(BIN)/ruff format --check src tests scripts bench toolchain
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format src tests scripts bench toolchain
	$(BIN)/ruff check --fix src tests scripts bench toolchain

# The committed OpenAPI document of the exchange server (a test compares it with the app).
openapi: setup
	$(BIN)/coinpos serve --print-openapi > docs/openapi.json

bench: setup
	$(BIN)/ape run bench --network ethereum:local:foundry

clean:
	rm -rf .build contracts/.cache .deps .pytest_cache .mypy_cache .ruff_cache .hypothesis out .coinpos
