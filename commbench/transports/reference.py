"""References for the transport figures.

- A minimal hand-written ping-pong (TCP, Unix domain, UDP, ZeroMQ REQ/REP over tcp://
  and ipc://): ten lines of plain code on each side, no framing, no harness; if the
  suite's round trip is close to this, the suite adds nothing measurable.
- sockperf (Debian's package, C), where installed: the C-level TCP line, showing
  what the Python interpreter costs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

SERVERS = {
    "stream": """
import os, socket, sys, tempfile
os.sched_setaffinity(0, {int(sys.argv[1])})
size, kind = int(sys.argv[2]), sys.argv[3]
if kind == "uds":
    path = os.path.join(tempfile.mkdtemp(prefix="commbench-ref-"), "s")
    srv = socket.socket(socket.AF_UNIX); srv.bind(path); srv.listen(1); print(path, flush=True)
else:
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
    print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
if kind == "tcp":
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
""",
    "udp": """
import os, socket, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
size = int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
sock.settimeout(30)
buf = bytearray(size)
while True:
    n, peer = sock.recvfrom_into(buf)
    sock.sendto(memoryview(buf)[:n], peer)
""",
    "zmq": """
import os, sys, tempfile, zmq
os.sched_setaffinity(0, {int(sys.argv[1])})
kind = sys.argv[3]
ctx = zmq.Context(io_threads=1)
rep = ctx.socket(zmq.REP); rep.linger = 0; rep.rcvtimeo = 30000
if kind == "ipc":
    rep.bind("ipc://" + os.path.join(tempfile.mkdtemp(prefix="commbench-ref-"), "s"))
else:
    rep.bind("tcp://127.0.0.1:*")
print(rep.last_endpoint.decode(), flush=True)
recv, send = rep.recv, rep.send
while True:
    send(recv(copy=False), copy=False)
""",
}
HANDWRITTEN_KINDS = ("tcp", "uds", "udp", "zmq-tcp", "zmq-ipc")


def _stream_client(kind: str, address: str, size_bytes: int, recv_chunk_bytes: int = 0):
    if kind == "uds":
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(30)
        sock.connect(address)
    else:
        sock = socket.create_connection(("127.0.0.1", int(address)), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    message = b"x" * size_bytes
    buf = bytearray(size_bytes)
    view = memoryview(buf)
    sendall, recv_into, recv = sock.sendall, sock.recv_into, sock.recv

    def round_trip() -> None:
        sendall(message)
        got = 0
        while got < size_bytes:
            got += recv_into(view[got:])

    def chunked_round_trip() -> None:  # the textbook loop: recv(N) until all arrived
        sendall(message)
        chunks, got = [], 0
        while got < size_bytes:
            chunk = recv(recv_chunk_bytes)
            if not chunk:
                raise ConnectionError("the server closed mid-reply")
            chunks.append(chunk)
            got += len(chunk)
        if len(b"".join(chunks)) != size_bytes:
            raise RuntimeError("the echo returned another length")

    return (chunked_round_trip if recv_chunk_bytes else round_trip), sock.close


def _udp_client(address: str, size_bytes: int):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", int(address)))
    sock.settimeout(30)
    message = b"x" * size_bytes
    buf = bytearray(size_bytes)
    send, recv_into = sock.send, sock.recv_into

    def round_trip() -> None:
        send(message)
        recv_into(buf)

    return round_trip, sock.close


def _zmq_client(address: str, size_bytes: int, cpu: int):
    import zmq

    ctx = zmq.Context(io_threads=1)
    ctx.set(zmq.THREAD_AFFINITY_CPU_ADD, cpu)
    req = ctx.socket(zmq.REQ)
    req.linger, req.rcvtimeo = 0, 30000
    req.connect(address)
    message = b"x" * size_bytes
    buf = bytearray(size_bytes)
    send, recv_into = req.send, req.recv_into

    def round_trip() -> None:
        send(message, copy=False)
        recv_into(buf)

    return round_trip, lambda: ctx.destroy(linger=0)


def handwritten_rtt_ns(
    kind: str,
    size_bytes: int,
    count: int,
    *,
    client_cpu: int,
    server_cpu: int,
    warmup: int = 100,
    recv_chunk_bytes: int = 0,
) -> np.ndarray:
    """RTTs (ns) of a minimal Python ping-pong on loopback, pinned as given.

    *recv_chunk_bytes* (``tcp``, ``uds``): 0 reads the reply into one preallocated
    buffer (``recv_into``); N > 0 reads it N bytes at a time with ``recv(N)``, joined
    at the end, as the textbook echo client does.

    *kind*: ``tcp``, ``uds``, ``udp`` (no loss handling: a lost datagram ends in the
    30 s timeout), ``zmq-tcp`` or ``zmq-ipc`` (REQ/REP). A few lines on each side, no
    framing, no harness: the least a Python loop on that transport can cost.
    """
    if kind not in HANDWRITTEN_KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(HANDWRITTEN_KINDS)})")
    if recv_chunk_bytes and kind not in ("tcp", "uds"):
        raise ValueError(f"recv_chunk_bytes is for stream sockets (tcp, uds), not {kind}")
    script = SERVERS["zmq" if kind.startswith("zmq") else "udp" if kind == "udp" else "stream"]
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(server_cpu), str(size_bytes), kind.removeprefix("zmq-")],
        stdout=subprocess.PIPE,
        text=True,
    )
    before = os.sched_getaffinity(0)
    close = None
    address = ""
    try:
        address = server.stdout.readline().strip()
        if not address:
            raise RuntimeError(f"the hand-written {kind} server did not start")
        os.sched_setaffinity(0, {client_cpu})
        if kind.startswith("zmq"):
            round_trip, close = _zmq_client(address, size_bytes, client_cpu)
        elif kind == "udp":
            round_trip, close = _udp_client(address, size_bytes)
        else:
            round_trip, close = _stream_client(kind, address, size_bytes, recv_chunk_bytes)
        rtt = np.empty(count, dtype=np.int64)
        clock = time.perf_counter_ns
        for _ in range(warmup):
            round_trip()
        for i in range(count):
            start = clock()
            round_trip()
            rtt[i] = clock() - start
        return rtt
    finally:
        if close is not None:
            close()
        os.sched_setaffinity(0, before)
        server.terminate()
        server.wait(10)
        if kind in ("uds", "zmq-ipc") and address:
            path = address.removeprefix("ipc://")
            with contextlib.suppress(OSError):
                os.unlink(path)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.dirname(path))


def handwritten_tcp_rtt_ns(
    size_bytes: int, count: int, *, client_cpu: int, server_cpu: int, warmup: int = 100
) -> np.ndarray:
    """RTTs (ns) of a minimal Python TCP ping-pong on loopback, pinned as given."""
    return handwritten_rtt_ns(
        "tcp", size_bytes, count, client_cpu=client_cpu, server_cpu=server_cpu, warmup=warmup
    )


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


@dataclass(frozen=True)
class Target:
    """How close the suite must come to a reference measured beside it, and why."""

    within: float
    """Allowed |suite / reference - 1|."""
    statistic: str
    source: str


_LOOP = Target(0.10, "median round trip", "issue 11: the suite's loop at Python's limit")
REFERENCE_TARGETS: dict[str, Target] = {
    "tcp": _LOOP,
    "uds": _LOOP,
    "udp": _LOOP,
    "zmq-reqrep-tcp": _LOOP,
    "zmq-reqrep-ipc": _LOOP,
    "mpi-buffer-shm": Target(
        0.15, "mean one-way latency", "mpi4py.bench pingpong, run by mpiexec -n 2"
    ),
    "tcp-c-helper": Target(
        0.05, "one-way p50", "issue 11: the native floor measures what sockperf measures"
    ),
}
"""Reference check (the row's subject) -> its target: the one definition the bench
module, the report's PASS / MISS and its caption read."""
