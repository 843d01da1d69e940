# govx — the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The test suite gets its own broker (port, storage) so it never disturbs a broker `make run` left running.
TEST_ENV := GOVX_KAFKA_PORT=19092 GOVX_KAFKA_CONTROLLER_PORT=19093 GOVX_DATA_DIR=.govx-test
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test lint unit integration bench tools kafka-up kafka-down clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(STAMP)

## make run: a simulated exchange (smoke scenario) on the local broker, with a verified report
run: install
	$(BIN)/govx run --scenario $(or $(SCENARIO),smoke)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

## Debian packages the tests use: prometheus + promtool and amtool (operators' kit tests), chromium
## (the run report's charts, rendered in a headless browser)
tools:
	@command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v amtool >/dev/null && \
	  command -v chromium >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    prometheus prometheus-alertmanager chromium >/dev/null; }

## make test: lint, then unit and integration tests against a real broker started here and stopped after;
## the integration suite runs once per Kafka client (kafka-python, then confluent-kafka), each on a broker
## started empty (the first run leaves thousands of topics behind, which would slow the second)
test: lint tools
	$(TEST_ENV) $(BIN)/govx kafka up
	$(TEST_ENV) $(BIN)/pytest; status=$$?; $(TEST_ENV) $(BIN)/govx kafka down --wipe; [ $$status = 0 ] || exit $$status
	$(TEST_ENV) $(BIN)/govx kafka up
	$(TEST_ENV) GOVX_KAFKA_CLIENT=confluent $(BIN)/pytest tests/integration; status=$$?; \
	  $(TEST_ENV) $(BIN)/govx kafka down; exit $$status

unit: install tools
	$(BIN)/pytest tests/unit

integration: install tools
	$(TEST_ENV) $(BIN)/govx kafka up
	$(TEST_ENV) $(BIN)/pytest tests/integration; status=$$?; $(TEST_ENV) $(BIN)/govx kafka down --wipe; \
	  [ $$status = 0 ] || exit $$status
	$(TEST_ENV) $(BIN)/govx kafka up
	$(TEST_ENV) GOVX_KAFKA_CLIENT=confluent $(BIN)/pytest tests/integration; status=$$?; \
	  $(TEST_ENV) $(BIN)/govx kafka down; exit $$status

bench: install
	$(BIN)/pytest bench --benchmark-enable --benchmark-columns=min,median,mean,stddev,rounds
	$(BIN)/govx bench core

kafka-up: install
	$(BIN)/govx kafka up

kafka-down: install
	$(BIN)/govx kafka down

clean:
	-$(BIN)/govx kafka down
	-$(TEST_ENV) $(BIN)/govx kafka down
	rm -rf $(VENV) .govx .govx-test reports .mypy_cache .ruff_cache .pytest_cache .hypothesis .benchmarks
