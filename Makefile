# cxmodels: `make reports` builds the report set, `make test` runs the fast suite and
# `make test-e2e` the end-to-end runs (tests marked `slow`: rendering reports, the CLI);
# CI (`.ci/run`) runs both.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
DATA    := data/sample

.PHONY: reports test test-e2e test-all lint bench clean data install lab

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# the test install includes the dask extra, so the Dask executor test runs (it skips without it)
$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,dask]"
	@touch $(STAMP) $@

install: $(STAMP)

$(DATA)/truth.json: | $(STAMP)
	$(BIN)/cxmodels sample-data --out $(DATA)

data: $(DATA)/truth.json

reports: $(STAMP) $(DATA)/truth.json
	$(BIN)/cxmodels report --config reports.yaml

test: $(TSTAMP)
	$(BIN)/python -m pytest -q -m "not slow"

test-e2e: $(TSTAMP)
	$(BIN)/python -m pytest -q -m slow

test-all: test test-e2e

lint: $(TSTAMP)
	$(BIN)/ruff check src tests bench notebooks
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	@fail=0; for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || fail=1; done; \
	  [ $$fail = 0 ] || echo "make bench: at least one target missed (see MISSED above)"; exit $$fail

lab: | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) reports/*.html reports/*/ .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
