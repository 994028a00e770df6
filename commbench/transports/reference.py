"""References for the transport figures.

- A minimal hand-written TCP ping-pong: ten lines of plain socket code on each side,
  no framing, no harness; if the suite's TCP round trip is close to this, the suite
  adds nothing measurable.
- sockperf (Debian's package, C), where installed: the C-level TCP line, showing
  what the Python interpreter costs.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import numpy as np

SERVER = """
import os, socket, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
size = int(sys.argv[2])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
conn.settimeout(30)
buf = bytearray(size)
view = memoryview(buf)
while True:
    got = 0
    while got < size:
        k = conn.recv_into(view[got:])
        if k == 0:
            sys.exit(0)
        got += k
    conn.sendall(buf)
"""


def handwritten_tcp_rtt_ns(
    size_bytes: int, count: int, *, client_cpu: int, server_cpu: int, warmup: int = 100
) -> np.ndarray:
    """RTTs (ns) of a minimal Python TCP ping-pong on loopback, pinned as given."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(server_cpu), str(size_bytes)],
        stdout=subprocess.PIPE,
        text=True,
    )
    before = os.sched_getaffinity(0)
    try:
        port = int(server.stdout.readline())
        os.sched_setaffinity(0, {client_cpu})
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        message = b"x" * size_bytes
        buf = bytearray(size_bytes)
        view = memoryview(buf)
        rtt = np.empty(count, dtype=np.int64)
        clock = time.perf_counter_ns
        for i in range(-warmup, count):
            start = clock()
            sock.sendall(message)
            got = 0
            while got < size_bytes:
                got += sock.recv_into(view[got:])
            if i >= 0:
                rtt[i] = clock() - start
        sock.close()
        return rtt
    finally:
        os.sched_setaffinity(0, before)
        server.terminate()
        server.wait(10)


SOCKPERF_PERCENTILE = re.compile(r"percentile\s+([\d.]+)\s*=\s*([\d.]+)")
SOCKPERF_AVERAGE = re.compile(r"Latency is\s+([\d.]+)\s*usec")


def sockperf_available() -> bool:
    """Whether Debian's sockperf (a C TCP/UDP latency tool) is installed."""
    return shutil.which("sockperf") is not None


def parse_sockperf(output: str) -> dict[str, float]:
    """sockperf ping-pong's summary -> {"mean_ns", "p50_ns", "p99_ns", ...} (one-way, ns).

    sockperf reports one-way latency (RTT / 2) in microseconds.

    >>> parse_sockperf("Summary: Latency is 9.871 usec\\n---> percentile 50.000 =    9.5\\n")
    {'mean_ns': 9871.0, 'p50_ns': 9500.0}
    """
    figures: dict[str, float] = {}
    if average := SOCKPERF_AVERAGE.search(output):
        figures["mean_ns"] = float(average.group(1)) * 1000
    for quantile, value in SOCKPERF_PERCENTILE.findall(output):
        figures[f"p{float(quantile):g}_ns"] = float(value) * 1000
    if "p50_ns" not in figures:
        raise ValueError("no sockperf latency summary in its output")
    return figures


def sockperf_tcp_one_way_ns(
    size_bytes: int, *, client_cpu: int, server_cpu: int, seconds: float = 2.0
) -> dict[str, float]:
    """One-way TCP latency on loopback measured by sockperf ping-pong, pinned as given.

    sockperf runs for whole seconds (at least one) and sends at most 65506 bytes.
    """
    with socket.socket() as probe:  # a free port, chosen by the OS
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            str(server_cpu),
            "sockperf",
            "server",
            "--tcp",
            "-i",
            "127.0.0.1",
            "-p",
            port,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        done = subprocess.run(
            [
                "taskset",
                "-c",
                str(client_cpu),
                "sockperf",
                "ping-pong",
                "--tcp",
                "-i",
                "127.0.0.1",
                "-p",
                port,
                "-m",
                str(max(size_bytes, 14)),
                "-t",
                str(seconds),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        )
        return parse_sockperf(done.stdout + done.stderr)
    finally:
        server.terminate()
        server.wait(10)
