"""LAN mode across a real (virtual) link: two network namespaces joined by a veth pair.

Machine B (namespace ``cb-<pid>-lB``, 198.18.0.2) runs ``commbench peer``; machine A
(namespace ``cb-<pid>-lA``, 198.18.0.1) runs ``commbench run --peer``, and MPI runs one
rank on each through mpiexec's host list (hydra's launcher is ``tests/nsexec``,
which stands in for ssh by entering the other namespace). A ``tc tbf``
rate limit of 1 Gbit/s on the link stands in for a LAN. Needs root (CI has it);
the test creates and deletes everything itself and fails, not skips, without it.
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

from tests.netns_pair import A_ADDR, B_ADDR, TwoHosts, veth_pair

pytestmark = pytest.mark.privileged

ROOT = Path(__file__).resolve().parents[1]
PORT = 7811


@pytest.fixture
def two_hosts() -> Iterator[TwoHosts]:
    with veth_pair("l", rate="1gbit") as hosts:
        yield hosts


def in_ns(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, sys.executable, "-m", "commbench.cli", *args]


def test_latency_across_two_namespaces(two_hosts: tuple[str, str, str], tmp_path: Path) -> None:
    a, b, veth_a = two_hosts
    peer = subprocess.Popen(
        in_ns(b, "peer", "--listen", f"{B_ADDR}:{PORT}", "--allow-non-loopback"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert peer.poll() is None, peer.stderr.read()
        done = subprocess.run(
            in_ns(
                a,
                "run",
                "--suite",
                "latency,throughput",
                "--peer",
                f"{B_ADDR}:{PORT}",
                "--mpi-hosts",
                f"{A_ADDR},{B_ADDR}",
                "--mpi-launcher-exec",
                str(ROOT / "tests" / "nsexec"),
                "--mpi-iface",
                veth_a,
                "--no-report",
                "--results-dir",
                str(tmp_path),
                "--",
                "-k",
                "(64B or 65536B) and not reference",
                "--benchmark-quiet",
            ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "CB_NS_A": a, "CB_NS_B": b},  # for tests/nsexec
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    finally:
        peer.terminate()
        peer.wait(timeout=10)
    [saved] = tmp_path.glob("*/*.json")
    doc = json.loads(saved.read_text())
    benches = doc["benchmarks"]
    assert {b["extra_info"]["params"]["path"] for b in benches} == {"lan"}
    subjects = {b["extra_info"]["subject"] for b in benches}
    assert {"tcp", "udp", "zmq-reqrep-tcp", "mpi-buffer-net"} <= subjects
    assert "uds" not in subjects and "mpi-buffer-shm" not in subjects
    mpi = next(b for b in benches if b["extra_info"]["subject"] == "mpi-buffer-net")
    assert mpi["extra_info"]["params"]["mpi_hosts"] == f"{A_ADDR},{B_ADDR}"
    assert mpi["extra_info"]["params"]["mpi_tcp_established"] > 0  # really over the link
    assert doc["commbench"]["peer"] == f"{B_ADDR}:{PORT}"
    assert doc["commbench"]["peer_machine"]["cpu_count"] >= 1  # B's fingerprint
    assert doc["machine_info"]["commbench"]["cpu_count"] >= 1  # A's fingerprint
    tcp_64 = next(
        b
        for b in benches
        if b["extra_info"]["subject"] == "tcp"
        and b["extra_info"]["params"]["size_bytes"] == 64
        and b["extra_info"]["family"] == "latency"
    )
    assert tcp_64["extra_info"]["metrics"]["one_way_p50_ns"] > 0
    streamed = [b for b in benches if b["extra_info"]["family"] == "throughput"]
    assert streamed and all(b["extra_info"]["metrics"]["lost"] == 0 for b in streamed)
    # the 1 Gbit/s token bucket caps the stream: no more than 125 MB/s plus burst
    assert all(b["extra_info"]["metrics"]["mb_per_s"] < 140 for b in streamed)


def test_an_unreachable_peer_is_one_line_and_status_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "commbench.cli",
            "run",
            "--suite",
            "latency",
            "--peer",
            "127.0.0.1:9",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("commbench: error: peer 127.0.0.1:9 unreachable")
    assert len(done.stderr.strip().splitlines()) == 1


def test_peer_refuses_a_non_loopback_address_unless_asked() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "commbench.cli", "peer", "--listen", "0.0.0.0:7812"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "not a loopback address" in done.stderr and "Traceback" not in done.stderr


def test_peer_on_a_port_in_use_is_one_line_and_status_2() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "commbench.cli", "peer", "--listen", f"127.0.0.1:{port}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"commbench: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


RPC_PORT = 7831


def test_rpc_calls_and_the_control_channel_across_two_namespaces(
    two_hosts: tuple[str, str, str], tmp_path: Path
) -> None:
    """`commbench peer` in B serves every RPC framework on its port plan; `commbench run
    --suite rpc --peer` in A measures calls against them over the link, and a fault case
    kills and restarts the peer's raw TCP server through the control channel; the
    control channel pauses, resumes, kills and restarts a server; nothing outlives the
    peer."""
    a, b, _ = two_hosts
    peer_at = f"{B_ADDR}:{RPC_PORT}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peer = subprocess.Popen(
        in_ns(b, "peer", "--listen", peer_at, "--allow-non-loopback"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        assert peer.poll() is None, peer.stderr.read()
        done = subprocess.run(
            in_ns(a, "run", "--suite", "rpc", "--peer", peer_at, "--no-report",
                  "--results-dir", str(tmp_path), "--", "-k",
                  "(test_rpc_latency and lan-rpc) or tcp-kill-none"),
            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        control = subprocess.run(
            ["ip", "netns", "exec", a, sys.executable, str(ROOT / "tests" / "lan_rpc_control.py"),
             peer_at],
            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        assert control.returncode == 0, control.stdout + control.stderr
        assert "CONTROL OK" in control.stdout
    finally:
        peer.terminate()
        peer.wait(timeout=30)
    deadline = time.monotonic() + 15
    left = "?"
    while time.monotonic() < deadline:  # the RPC servers die with the peer
        left = subprocess.run(["ip", "netns", "pids", b], capture_output=True, text=True).stdout
        if not left.strip():
            break
        time.sleep(0.2)
    assert not left.strip(), f"processes left in the peer's namespace: {left}"
    [saved] = tmp_path.glob("*/*.json")
    doc = json.loads(saved.read_text())
    rows = [bench["extra_info"] for bench in doc["benchmarks"]]
    from commbench.rpc import FRAMEWORKS

    (fault,) = [r for r in rows if r["params"]["measure"] == "faults"]
    rows = [r for r in rows if r is not fault]
    assert fault["params"]["path"] == "lan" and fault["params"]["fault"] == "kill"
    m = fault["metrics"]
    assert m["failed"] > 0 and m["errors"], m  # the kill on the peer was seen across the link
    assert m["recovered_at_s"] is not None and m["recovered_at_s"] > m["fault_at_s"]
    assert m["duplicates"] == 0 and m["executed_ids"] <= m["calls"]  # at most once
    assert sorted(r["subject"] for r in rows) == sorted(FRAMEWORKS)
    for r in rows:
        assert r["params"]["path"] == "lan" and r["params"]["placement"] == "lan"
        assert r["metrics"]["calls"] > 0 and r["metrics"]["failed"] == 0
        assert r["metrics"]["p50_ns"] > 0
    assert doc["commbench"]["peer"] == peer_at
