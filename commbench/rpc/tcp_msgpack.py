"""Raw TCP with length-prefixed msgpack: the floor for a call in Python.

The frames are the transports family's (4-byte big-endian length, the length
checked before anything is allocated). Both ends read a whole frame in as few
``recv_into`` calls as the kernel allows (header and body usually come in one)
and send header and body with one ``sendmsg``. Time-outs are the kernel's
(``SO_RCVTIMEO``), so a blocking socket needs no ``poll`` before each read. One
thread per connection on the server; one connection carries one call at a time,
so calls in flight use several connections.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

from commbench.corpus import Payload
from commbench.rpc import Bound, RpcFailed, msgpack_call
from commbench.transports.framing import HEADER, HEADER_BYTES, FrameTooLarge, PeerClosed

ENCODING = "msgpack"
RECONNECT_AFTER_ERROR = True  # after a failed call the stream is out of step: a new connection
MAX_FRAME_BYTES = 256 * 2**20


class FrameReader:
    """Whole frames from a stream socket, read into one growing buffer."""

    def __init__(self, sock: socket.socket, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.recv_into = sock.recv_into
        self.max_frame_bytes = max_frame_bytes
        self.buffer = bytearray(65536)
        self.view = memoryview(self.buffer)
        self.have = 0  # bytes in the buffer, possibly the start of the next frame
        self.consumed = 0  # bytes of the previous frame to drop before reading

    def _fill(self, need: int) -> None:
        while self.have < need:
            k = self.recv_into(self.view[self.have :])
            if k == 0:
                raise PeerClosed(f"connection closed after {self.have} of {need} bytes")
            self.have += k

    def read(self) -> memoryview:
        """The next frame's body (valid until the next call)."""
        if self.consumed:
            extra = self.have - self.consumed
            if extra:
                self.buffer[:extra] = self.buffer[self.consumed : self.have]
            self.have, self.consumed = extra, 0
        self._fill(HEADER_BYTES)
        (length,) = HEADER.unpack_from(self.buffer)
        if length > self.max_frame_bytes:
            raise FrameTooLarge(f"frame of {length} bytes, maximum is {self.max_frame_bytes}")
        need = HEADER_BYTES + length
        if need > len(self.buffer):
            grown = bytearray(max(need, 2 * len(self.buffer)))
            grown[: self.have] = self.view[: self.have]
            self.view.release()
            self.buffer, self.view = grown, memoryview(grown)
        self._fill(need)
        self.consumed = need
        return self.view[HEADER_BYTES:need]


def send_frame(sock: socket.socket, payload: bytes) -> None:
    header = HEADER.pack(len(payload))
    sent = sock.sendmsg([header, payload])
    if sent < HEADER_BYTES + len(payload):  # a large frame: the rest as one sendall
        sock.sendall((header + payload)[sent:])


def set_timeout(sock: socket.socket, seconds: float) -> None:
    """A kernel receive/send time-out: reads fail with EAGAIN after *seconds*."""
    tv = struct.pack("ll", int(seconds), int((seconds % 1) * 1e6))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)


def _serve_connection(conn: socket.socket, logic: msgpack_call.EchoLogic) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = FrameReader(conn)
    with conn:
        try:
            while True:
                send_frame(conn, logic.handle(reader.read()))
        except (PeerClosed, FrameTooLarge, OSError):
            return


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    host, _, port = listen.rpartition(":")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen(256)
    logic = msgpack_call.EchoLogic(options)
    ready({"listen": [host, listener.getsockname()[1]]})
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_serve_connection, args=(conn, logic), daemon=True).start()


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        host, port = address["listen"]
        timeout_s = options.get("timeout_s", 30.0)
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.settimeout(None)  # blocking; the time-out is the kernel's
        set_timeout(self.sock, timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = FrameReader(self.sock)
        self.info: dict[str, Any] = {}

    def exchange(self, request: bytes) -> memoryview:
        try:
            send_frame(self.sock, request)
            return self.reader.read()
        except (PeerClosed, OSError) as exc:
            raise RpcFailed(f"{type(exc).__name__}: {exc}") from exc

    def bind(self, payload: Payload) -> Bound:
        return msgpack_call.bind(payload, self.exchange)

    def bind_read(self, obj: Any, fraction: float, expected: tuple[int, int]) -> Bound:
        return msgpack_call.bind_read(obj, fraction, expected, self.exchange)

    def close(self) -> None:
        self.sock.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
