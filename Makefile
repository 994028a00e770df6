# Two commands do all the set-up: `make bench` runs the suite, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= quick
SUITE ?= all

.PHONY: bench bench-report test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium, for the real-browser test of the HTML report, sockperf, the
# C-level TCP reference line, and the replicated stores of the cap family (etcd, Redis)
# (needs root or sudo)
DEBIAN_TOOLS := /usr/bin/chromium /usr/bin/sockperf /usr/bin/etcd /usr/bin/redis-server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(DEBIAN_TOOLS) &:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium sockperf etcd-server redis-server

bench: $(STAMP)
	$(BIN)/commbench run --suite $(SUITE) --profile $(PROFILE)

# How long the report takes on RESULT and on 10 copies of it (bench/report_timing.py)
bench-report: $(STAMP)
	@test -n "$(RESULT)" || { echo "usage: make bench-report RESULT=path/to/result.json" >&2; exit 2; }
	$(BIN)/python bench/report_timing.py $(RESULT)

test: $(STAMP) $(DEBIAN_TOOLS)
	$(BIN)/python -m pytest tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .benchmarks reports/*.html
