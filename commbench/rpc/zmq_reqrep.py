"""ZeroMQ REQ/REP with msgpack: one REP socket on the server, a REQ socket per client.

REQ allows one call in flight; for concurrency the client uses a DEALER socket
(recorded with the result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import zmq

from commbench.corpus import Payload
from commbench.rpc import Bound, RpcFailed, msgpack_call

ENCODING = "msgpack"


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    context = zmq.Context()
    sock = context.socket(zmq.REP)
    sock.setsockopt(zmq.LINGER, 0)
    host, _, port = listen.rpartition(":")
    endpoint = f"tcp://{host}:{'*' if port == '0' else port}"
    sock.bind(endpoint)
    bound = sock.getsockopt(zmq.LAST_ENDPOINT).decode()
    logic = msgpack_call.EchoLogic(options)
    ready({"listen": [host, int(bound.rpartition(":")[2])], "zmq_version": zmq.zmq_version()})
    try:
        while True:
            request = sock.recv(copy=False)
            sock.send(logic.handle(request.buffer))
    finally:
        sock.close()
        context.term()


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        host, port = address["listen"]
        self.context = zmq.Context()
        self.sock = self.context.socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        timeout_ms = int(options.get("timeout_s", 30.0) * 1000)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        # after a timeout the next request may go out (and a late reply is dropped)
        self.sock.setsockopt(zmq.REQ_RELAXED, 1)
        self.sock.setsockopt(zmq.REQ_CORRELATE, 1)
        self.sock.connect(f"tcp://{host}:{port}")
        self.info = {"socket": "REQ", "zmq_version": zmq.zmq_version()}

    def bind(self, payload: Payload) -> Bound:
        send, recv = self.sock.send, self.sock.recv

        def exchange(request: bytes) -> Any:
            send(request)
            try:
                return recv(copy=False).buffer
            except zmq.Again as exc:
                raise RpcFailed("timed out") from exc

        return msgpack_call.bind(payload, exchange)

    def close(self) -> None:
        self.sock.close()
        self.context.term()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
