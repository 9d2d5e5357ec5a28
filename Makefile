# sanctuary-lab — one Makefile; `make help` lists the targets.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
RAW_DIR ?= ../shared/data/raw
WAREHOUSE ?= data/sanctuary_lab.duckdb
REPORT_DIR ?= out/report
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup browser-deps main build report check test test-fast lint format typecheck bench goldens clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/sanctuary-lab: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,reference]'
	@touch $@

setup: $(BIN)/sanctuary-lab ## Create .venv and install the pinned package + dev tools + reference implementations

browser-deps: ## Install Debian chromium + chromedriver for the browser tests (needs root or sudo)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || bash scripts/install_browser.sh

main: setup ## Build the warehouse from $(RAW_DIR), print a summary, write the report to $(REPORT_DIR)
	$(BIN)/sanctuary-lab build --raw-dir $(RAW_DIR) --out $(WAREHOUSE)
	$(BIN)/sanctuary-lab quality --warehouse $(WAREHOUSE)
	$(BIN)/sanctuary-lab report --warehouse $(WAREHOUSE) --out $(REPORT_DIR)

build: setup ## Build the warehouse only
	$(BIN)/sanctuary-lab build --raw-dir $(RAW_DIR) --out $(WAREHOUSE)

report: setup ## Write the HTML report from an existing warehouse
	$(BIN)/sanctuary-lab report --warehouse $(WAREHOUSE) --out $(REPORT_DIR)

check: setup ## Check every registered claim against the warehouse
	$(BIN)/sanctuary-lab check --warehouse $(WAREHOUSE)

test: setup browser-deps ## Set up and run the whole test suite (what CI runs)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup ## Run the tests that are not marked slow or browser
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: setup ## ruff lint + format check
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

format: setup ## Apply ruff formatting and autofixes
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

typecheck: setup ## mypy on src
	$(BIN)/mypy

bench: setup ## Run the multiverse benchmark (prints ratios vs pyfixest)
	$(BIN)/python bench/multiverse.py

goldens: setup ## Regenerate reference golden files (needs R: r-base-core r-cran-plm r-cran-sandwich)
	bash scripts/make_goldens.sh

clean: ## Remove the venv, the warehouse and the report
	rm -rf $(VENV) data out
