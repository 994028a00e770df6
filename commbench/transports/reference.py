"""References for the transport figures: a minimal hand-written TCP ping-pong.

Ten lines of plain socket code on each side, no framing, no harness: if the
suite's TCP round trip is close to this, the suite adds nothing measurable.
"""

from __future__ import annotations

import os
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
    import socket

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
