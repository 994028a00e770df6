"""Messaging over a (virtual) LAN: two network namespaces joined by a veth pair.

Host B (namespace ``cbmB<pid>``, 198.18.0.2) runs ``commbench peer``, which starts the
brokers there on request; host A (``cbmA<pid>``, 198.18.0.1) runs producer, consumer and
the harness. Needs root; creates and deletes everything itself, fails (not skips)
without root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from commbench.messaging.remote import BROKER_PORT_OFFSET
from tests.netns_pair import B_ADDR, veth_pair

pytestmark = pytest.mark.privileged

ROOT = Path(__file__).resolve().parents[1]
PORT = 7821


@pytest.fixture
def two_hosts() -> Iterator[tuple[str, str]]:
    with veth_pair("m") as hosts:
        yield hosts.a, hosts.b


HARNESS = """
import json, sys
from commbench.messaging.modes import MODES
from commbench.messaging.stream import StreamSpec, run_stream
mode, fault, directory = sys.argv[1:4]
spec = StreamSpec(MODES[mode], count=600, rate_per_s=1000, fault=fault, down_s=0.3,
                  peer="PEER")
r = run_stream(spec, directory)
print(json.dumps({
    "ledger": r.ledger.metrics(), "broker": r.broker, "errors": r.errors,
                  "e2e": int(r.e2e_ns.size), "params": spec.params()}))
""".replace("PEER", f"{B_ADDR}:{PORT}")


def _in(ns: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        ["ip", "netns", "exec", ns, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def _pids_in(ns: str) -> set[int]:
    done = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, timeout=10)
    return {int(p) for p in done.stdout.split()}


BROKER_PROGRAMS = {"nats-server", "redis-server", "mosquitto", "beam.smp", "epmd"}


def _brokers_in(ns: str) -> dict[int, str]:
    """The broker processes in *ns* (the peer's own RPC servers are not brokers)."""
    found = {}
    for pid in _pids_in(ns):
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except OSError:  # gone meanwhile
            continue
        if Path(argv0).name in BROKER_PROGRAMS:
            found[pid] = argv0
    return found


def test_brokers_on_the_peer_carry_streams_and_faults(two_hosts, tmp_path: Path) -> None:
    a, b = two_hosts
    peer = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            b,
            sys.executable,
            "-m",
            "commbench.cli",
            "peer",
            "--listen",
            f"{B_ADDR}:{PORT}",
            "--allow-non-loopback",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            probe = _in(
                a,
                sys.executable,
                "-c",
                "import socket; "
                f"socket.create_connection(('{B_ADDR}', {PORT + BROKER_PORT_OFFSET}), 1)",
            )
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        runs = {}
        for mode, fault in (("nats/core", "none"), ("nats/js-always", "broker-kill")):
            done = _in(a, sys.executable, "-c", HARNESS, mode, fault, str(tmp_path / fault))
            assert done.returncode == 0, done.stderr[-2000:]
            runs[mode] = json.loads(done.stdout.splitlines()[-1])
        core = runs["nats/core"]
        assert core["broker"]["broker_on"] == "peer" and core["broker"]["broker_host"] == B_ADDR
        assert core["params"]["path"] == "lan" and core["params"]["cpu_broker"] is None
        assert core["ledger"]["sent"] == 600 and core["ledger"]["distinct"] == 600
        assert core["e2e"] == 600 and not core["errors"]
        js = runs["nats/js-always"]
        ledger = js["ledger"]
        assert ledger["balanced"] and ledger["lost"] == 0, ledger  # acked survives the kill
        assert ledger["acknowledged"] > 0 and not js["errors"], js
        # what the peer started is gone with the streams that asked for it
        # the bench module's LAN rows, as `commbench run --peer` runs them
        result = tmp_path / "lan.json"
        bench = _in(
            a,
            sys.executable,
            "-m",
            "pytest",
            "bench/test_messaging.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "lan_latency",
            "--messaging-profile=tiny",
            f"--peer={B_ADDR}:{PORT}",
            f"--benchmark-json={result}",
            f"--ledger-dir={tmp_path / 'ledgers'}",
            timeout=300,
        )
        assert bench.returncode == 0, bench.stdout[-3000:] + bench.stderr[-2000:]
        rows = [b["extra_info"] for b in json.loads(result.read_text())["benchmarks"]]
        assert {(r["params"]["mode"], r["params"]["path"]) for r in rows} == {
            ("core", "lan"),
            ("js-always", "lan"),
        }
        assert all(r["params"]["broker_host"] == B_ADDR for r in rows)
        assert all(r["metrics"]["distinct"] == r["metrics"]["sent"] > 0 for r in rows)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _brokers_in(b):
            time.sleep(0.1)
        assert peer.pid in _pids_in(b)
        assert _brokers_in(b) == {}  # every broker the streams asked for is gone
    finally:
        peer.terminate()
        try:
            peer.wait(10)
        except subprocess.TimeoutExpired:
            peer.kill()
            peer.wait()
