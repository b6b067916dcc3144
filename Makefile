# One command per habit. `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench install install-dev clean lock

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.lock
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

$(DEVSTAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install -r requirements-dev.lock
	touch $@

install: $(STAMP)
install-dev: $(DEVSTAMP)

## run: the whole system on the embedded emulator, API and dashboard on http://127.0.0.1:8080/
run: $(STAMP)
	$(BIN)/covid-etl up

## test: every test tier (unit, integration, e2e, api, browser, infra)
test: $(DEVSTAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEVSTAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy shared services covid_etl

bench: $(DEVSTAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .covid-etl .pytest_cache
