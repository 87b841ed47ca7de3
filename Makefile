# coinpos: the two commands that matter come first.
#   make test   set everything up (idempotently) and run the whole test suite
#   make demo   set everything up and run the story on a local anvil chain and SQLite

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SLITHER_VENV := .venv-slither
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: test demo setup solc chromium lint format bench clean openapi fuzz

# The suite runs in PYTEST_WORKERS processes (pytest-xdist), each with an anvil of its own on
# a free port; the contracts are compiled once by setup, so no worker writes the build.
PYTEST_WORKERS ?= 2

# The static checks (ruff, mypy, Slither's gate) run first, so CI runs them too.
test: lint
	$(BIN)/pip check
	$(BIN)/ape test tests -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

demo: setup
	@$(BIN)/ape run demo --network ethereum:local:foundry -v WARNING

# --- setup -------------------------------------------------------------------
# Each step re-runs only when its inputs change; a warm `make setup` costs a few seconds.
# Each says in one line what it does; the tools' own chatter (pip's notices, ape's INFO
# log with its list of every compiler input) stays off, while errors still show.

OZ_SOURCES := .deps/openzeppelin-contracts
CONTRACT_SOURCES := $(shell find contracts -name '*.sol' -not -path 'contracts/.cache/*')
COMPILED := .build/.compiled

setup: $(VENV)/.installed node_modules/.installed $(OZ_SOURCES)/.installed solc $(COMPILED) chromium

$(VENV)/.installed: pyproject.toml constraints.txt
	@echo "setup: Python environment in $(VENV)/ (pinned by constraints.txt)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade "pip>=24"
	@$(BIN)/pip install -qq -c constraints.txt -e '.[dev]'
	@$(BIN)/pip check > /dev/null || $(BIN)/pip check
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "setup: npm packages (solc, anvil, OpenZeppelin, axe-core; pinned by package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error > /dev/null
	@touch $@

# OpenZeppelin's Solidity sources only, without the npm package's build artifacts.
$(OZ_SOURCES)/.installed: node_modules/.installed
	@echo "setup: OpenZeppelin's Solidity sources in $(OZ_SOURCES)/"
	@rm -rf $(OZ_SOURCES) && mkdir -p $(OZ_SOURCES)
	@cd node_modules/@openzeppelin/contracts && find . -name '*.sol' -not -path './build/*' \
		-exec cp --parents {} $(CURDIR)/$(OZ_SOURCES)/ \;
	@touch $@

solc: $(VENV)/.installed node_modules/.installed
	@printf 'setup: '; $(BIN)/python toolchain/provision_solc.py
	@ln -sf ../../node_modules/.bin/anvil $(BIN)/anvil

$(COMPILED): $(CONTRACT_SOURCES) ape-config.yaml $(OZ_SOURCES)/.installed | solc
	@echo "setup: compiling the contracts (ape compile)"
	@$(BIN)/ape compile -v WARNING
	@touch $@

# Debian's Chromium for the browser tests (tests/pages/): Playwright drives it at
# /usr/bin/chromium, since Playwright's own browser download is not reachable.
# (as root here; through sudo on a CI runner that is not).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "setup: Debian's chromium for the browser tests (apt-get)"; \
		$(SUDO) apt-get update -qq > /dev/null && \
		$(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
	fi

# --- quality -------------------------------------------------------------------

lint: setup $(SLITHER_VENV)/.installed
	$(BIN)/ruff check src tests scripts bench toolchain
	$(BIN)/ruff format --check src tests scripts bench toolchain
	$(BIN)/mypy
	$(BIN)/python toolchain/slither_check.py --slither $(SLITHER_VENV)/bin/slither

# Slither in a venv of its own (its pins differ from ape's); see toolchain/slither_check.py.
$(SLITHER_VENV)/.installed: toolchain/slither-requirements.txt
	@test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install -q -r toolchain/slither-requirements.txt
	$(SLITHER_VENV)/bin/pip check
	@touch $@

format: setup
	$(BIN)/ruff format src tests scripts bench toolchain
	$(BIN)/ruff check --fix src tests scripts bench toolchain

# The committed OpenAPI document of the exchange server (a test compares it with the app).
openapi: setup
	$(BIN)/coinpos serve --print-openapi > docs/openapi.json

bench: setup
	$(BIN)/ape run bench --network ethereum:local:foundry

# The escrow's stateful property test at length: FUZZ_EXAMPLES random sequences (CI runs 200).
# The test prints how many sequences ran and how long they took.
FUZZ_EXAMPLES ?= 10000

fuzz: setup
	ESCROW_STATEFUL_EXAMPLES=$(FUZZ_EXAMPLES) ESCROW_STATEFUL_RANDOM=1 $(BIN)/ape test \
		tests/contracts/escrow/test_stateful.py -p no:xdist -q -s -p no:cacheprovider

clean:
	rm -rf .build .slither contracts/.cache .deps .pytest_cache .mypy_cache .ruff_cache .hypothesis out .coinpos
