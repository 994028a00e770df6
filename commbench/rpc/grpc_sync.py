"""gRPC with grpcio: a synchronous server (thread pool) and a blocking channel client."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc

from commbench.corpus import Payload
from commbench.rpc import Bound, proto_call
from commbench.rpc.gen import rpc_pb2_grpc

ENCODING = "protobuf"
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", proto_call.MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", proto_call.MAX_MESSAGE_BYTES),
]


class Servicer(rpc_pb2_grpc.BenchServicer):
    def __init__(self, options: dict[str, Any]) -> None:
        self.logic = proto_call.EchoLogic(options)

    def Echo(self, request: Any, context: Any) -> Any:
        return self.logic.echo(request)

    def Read(self, request: Any, context: Any) -> Any:
        return self.logic.read(request)


def server_credentials(options: dict[str, Any]) -> Any:
    tls = options.get("tls")
    if not tls:
        return None
    with open(tls["key"], "rb") as k, open(tls["cert"], "rb") as c:
        return grpc.ssl_server_credentials([(k.read(), c.read())])


def add_port(server: Any, listen: str, options: dict[str, Any]) -> int:
    creds = server_credentials(options)
    port = server.add_secure_port(listen, creds) if creds else server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"cannot listen on {listen}")
    return port


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    workers = int(options.get("workers", 16))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers), options=CHANNEL_OPTIONS)
    rpc_pb2_grpc.add_BenchServicer_to_server(Servicer(options), server)
    port = add_port(server, listen, options)
    server.start()
    host = listen.rpartition(":")[0]
    ready({"listen": [host, port], "max_message_bytes": proto_call.MAX_MESSAGE_BYTES,
           "server_workers": workers})  # fmt: skip
    try:
        threading.Event().wait()
    finally:
        server.stop(0)


def channel(address: dict[str, Any], options: dict[str, Any]) -> Any:
    host, port = address["listen"]
    target = f"{host}:{port}"
    extra = list(options.get("channel_options", []))
    tls = options.get("tls")
    if tls:
        with open(tls["ca"], "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        return grpc.secure_channel(target, creds, options=CHANNEL_OPTIONS + extra)
    return grpc.insecure_channel(target, options=CHANNEL_OPTIONS + extra)


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        self.channel = channel(address, options)
        ready_s = min(10.0, max(2.0, float(options.get("timeout_s", 10.0))))
        grpc.channel_ready_future(self.channel).result(timeout=ready_s)
        self.stub = rpc_pb2_grpc.BenchStub(self.channel)
        self.timeout_s = options.get("timeout_s", 30.0)
        self.info = {"grpc_version": grpc.__version__, "tls": bool(options.get("tls"))}

    def bind(self, payload: Payload) -> Bound:
        echo, timeout = self.stub.Echo, self.timeout_s
        return proto_call.bind(payload, lambda request: echo(request, timeout=timeout))

    def bind_read(self, obj: Any, fraction: float, expected: tuple[int, int]) -> Bound:
        read, timeout = self.stub.Read, self.timeout_s
        return proto_call.bind_read(obj, fraction, expected, lambda r: read(r, timeout=timeout))

    def close(self) -> None:
        self.channel.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
