# Two commands do all the set-up: `make bench` runs the suite, `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= quick
SUITE ?= all

.PHONY: bench bench-report brokers test lint clean native

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium, for the real-browser test of the HTML report (needs root or sudo)
DEBIAN_TOOLS := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(DEBIAN_TOOLS) &:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

# The native floors (commbench/transports/native/): sockperf and qperf (C TCP/UDP
# ping-pong), iperf3 (TCP stream), and libzmq3-dev for zmq.h, the header the ZeroMQ
# helper is compiled with (it links the libzmq bundled in pyzmq's wheel, not Debian's)
FLOOR_TOOLS := /usr/bin/sockperf /usr/bin/qperf /usr/bin/iperf3 /usr/include/zmq.h

$(FLOOR_TOOLS) &:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq sockperf qperf iperf3 libzmq3-dev

# The C helpers of native/, built with the system gcc (MPI: the venv's mpicc, against
# the wheel's MPICH) into NATIVE_BUILD, which git ignores
NATIVE_BUILD ?= native/build
NATIVE_CFLAGS := -O2 -Wall -Wextra -std=gnu11
ZMQ_LIB = $(firstword $(wildcard $(VENV)/lib/python3*/site-packages/pyzmq.libs/libzmq*.so*))
NATIVE_HELPERS := $(addprefix $(NATIVE_BUILD)/pingpong_,sock shm zmq mpi)

native: $(NATIVE_HELPERS)

$(NATIVE_BUILD):
	mkdir -p $@

$(NATIVE_BUILD)/pingpong_sock $(NATIVE_BUILD)/pingpong_shm: $(NATIVE_BUILD)/%: native/%.c native/common.h | $(NATIVE_BUILD)
	gcc $(NATIVE_CFLAGS) -o $@ $<

$(NATIVE_BUILD)/pingpong_zmq: native/pingpong_zmq.c native/common.h $(STAMP) /usr/include/zmq.h | $(NATIVE_BUILD)
	@test -n "$(ZMQ_LIB)" || { echo "no libzmq*.so in pyzmq's wheel under $(VENV)" >&2; exit 2; }
	gcc $(NATIVE_CFLAGS) -pthread -o $@ $< $(ZMQ_LIB) -Wl,-rpath,$(abspath $(dir $(ZMQ_LIB)))

$(NATIVE_BUILD)/pingpong_mpi: native/pingpong_mpi.c native/common.h $(STAMP) | $(NATIVE_BUILD)
	$(BIN)/mpicc $(NATIVE_CFLAGS) -Wno-unused-function -o $@ $<

bench: $(STAMP) $(FLOOR_TOOLS) native
	$(BIN)/commbench run --suite $(SUITE) --profile $(PROFILE)

# How long the report takes on RESULT and on 10 copies of it (bench/report_timing.py)
bench-report: $(STAMP)
	@test -n "$(RESULT)" || { echo "usage: make bench-report RESULT=path/to/result.json" >&2; exit 2; }
	$(BIN)/python bench/report_timing.py $(RESULT)

# The messaging family's brokers (Debian packages). Their packages try to start system
# services on the default ports: a policy-rc.d that refuses (exit 101) is in place while
# they install (an existing one is kept) and the units are disabled and stopped after,
# so only the private instances the suite starts ever run. libfuse2 (fusepy) and fuse3
# (fusermount) serve the power-cut layer under a broker's data directory.
# etcd-server (and redis-server) are also the replicated stores of the cap family.
BROKERS := /usr/bin/redis-server /usr/sbin/mosquitto /usr/lib/rabbitmq/bin/rabbitmq-server \
	/usr/lib/x86_64-linux-gnu/libfuse.so.2 /usr/bin/etcd
BROKER_UNITS := rabbitmq-server redis-server mosquitto etcd

brokers: $(BROKERS)

$(BROKERS) &:
	$(SUDO) sh -c 'p=/usr/sbin/policy-rc.d; made=; \
	  if [ ! -e $$p ]; then printf "#!/bin/sh\nexit 101\n" > $$p; chmod +x $$p; made=1; fi; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server redis-server mosquitto etcd-server libfuse2 fuse3; \
	  rc=$$?; [ -n "$$made" ] && rm -f $$p; \
	  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
	    systemctl disable --now $(BROKER_UNITS) 2>/dev/null; fi; \
	  exit $$rc'

test: $(STAMP) $(DEBIAN_TOOLS) $(FLOOR_TOOLS) $(BROKERS) native
	$(BIN)/python -m pytest tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .benchmarks reports/*.html $(NATIVE_BUILD)
