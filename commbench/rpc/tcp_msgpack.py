"""Raw TCP with length-prefixed msgpack: the floor for a call in Python.

The frames are the transports family's (4-byte big-endian length, the length
checked before anything is allocated); one thread per connection on the server.
One connection carries one call at a time: concurrency uses several connections.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

from commbench.corpus import Payload
from commbench.rpc import Bound, RpcFailed, msgpack_call
from commbench.transports.framing import PeerClosed, encode_frame, recv_frame

ENCODING = "msgpack"
MAX_FRAME_BYTES = 256 * 2**20


def _serve_connection(conn: socket.socket, logic: msgpack_call.EchoLogic) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        try:
            while True:
                request = recv_frame(conn, MAX_FRAME_BYTES)
                conn.sendall(encode_frame(logic.handle(request)))
        except (PeerClosed, OSError):
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


def exchange_over(sock: socket.socket) -> Callable[[bytes], memoryview]:
    def exchange(request: bytes) -> memoryview:
        try:
            sock.sendall(encode_frame(request))
            return recv_frame(sock, MAX_FRAME_BYTES)
        except (PeerClosed, OSError) as exc:
            raise RpcFailed(f"{type(exc).__name__}: {exc}") from exc

    return exchange


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        host, port = address["listen"]
        self.sock = socket.create_connection((host, port), timeout=options.get("timeout_s", 30.0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.info: dict[str, Any] = {}

    def bind(self, payload: Payload) -> Bound:
        return msgpack_call.bind(payload, exchange_over(self.sock))

    def close(self) -> None:
        self.sock.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
