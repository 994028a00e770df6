"""Raw TCP, brokerless: length-prefixed frames from the producer to a listening consumer.

Transient and asynchronous: ``sendall`` returns once the kernel has the bytes. When
the consumer dies, what its socket buffers held is gone; the producer's next send
fails, is recorded as failed, and the producer reconnects (once per message, with a
short timeout) and goes on.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time
from typing import Any

from commbench.messaging.worker import Recorder, Stopping, message, say_ready, schedule

LENGTH = struct.Struct("<I")


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(1.0)
    return sock


def producer(config: dict[str, Any], rec: Recorder) -> None:
    port = config["port"]
    sock: socket.socket | None = _connect(port)
    say_ready()
    for seq in schedule(config["count"], config["rate_per_s"], config["max_seconds"]):
        data, t = message(seq, config["size_bytes"])
        rec.sent(seq, t)
        try:
            if sock is None:
                sock = _connect(port)
            sock.sendall(LENGTH.pack(len(data)) + data)
        except OSError as exc:
            rec.failed(seq, exc)
            if sock is not None:
                sock.close()
            sock = None
            continue
        rec.returned(seq)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
            sock.recv(1)  # wait until the consumer has read everything and closed
        sock.close()


def consumer(config: dict[str, Any], rec: Recorder) -> None:
    stopping = Stopping()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", config["port"]))
    listener.listen(8)
    listener.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytearray] = {}
    say_ready()
    deadline = time.monotonic() + config.get("lifetime_s", 600.0)
    while not stopping and time.monotonic() < deadline:
        for key, _ in selector.select(0.05):
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                selector.register(conn, selectors.EVENT_READ)
                buffers[conn] = bytearray()
                continue
            conn = key.fileobj  # type: ignore[assignment]
            try:
                chunk = conn.recv(1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                selector.unregister(conn)
                conn.close()
                buffers.pop(conn, None)
                continue
            buf = buffers[conn]
            buf += chunk
            while len(buf) >= LENGTH.size:
                (size,) = LENGTH.unpack_from(buf)
                if len(buf) < LENGTH.size + size:
                    break
                rec.delivered(bytes(buf[LENGTH.size : LENGTH.size + size]))
                del buf[: LENGTH.size + size]
    listener.close()
