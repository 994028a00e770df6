"""Thrift with thriftpy2: payloads/rpc.thrift loaded at run time, a threaded server
(one thread per connection), the binary protocol over a buffered transport (the
Cython implementations thriftpy2 ships), TCP_NODELAY on both ends.

Thrift carries the RPC record and the size sweep; other payloads are unsupported.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import thriftpy2
from thriftpy2.protocol import TCyBinaryProtocolFactory
from thriftpy2.rpc import make_client
from thriftpy2.server import TThreadedServer
from thriftpy2.thrift import TProcessor
from thriftpy2.transport import TCyBufferedTransportFactory, TServerSocket, TSocket

from commbench.corpus import Payload
from commbench.rpc import Bound, Unsupported, WrongAnswer
from commbench.rpc.service import IdLog

ENCODING = "thrift-binary"
IDL = Path(__file__).resolve().parents[2] / "payloads" / "rpc.thrift"
rpc_thrift = thriftpy2.load(str(IDL), module_name="commbench_rpc_thrift")
BODIES = {"Rpc": "rpc", "Sweep": "sweep"}


def to_struct(message: str, doc: Any) -> Any:
    if message == "Rpc":
        fields = {k: v for k, v in doc.items() if k != "args"}
        return rpc_thrift.Rpc(**fields, arguments=rpc_thrift.RpcArgs(**doc["args"]))
    return rpc_thrift.Sweep(records=[to_struct("Rpc", r) for r in doc["records"]])


def to_plain(struct: Any) -> Any:
    if isinstance(struct, rpc_thrift.Sweep):
        return {"records": [to_plain(r) for r in struct.records]}
    out = {name: getattr(struct, name) for _, (_, name, *_) in sorted(struct.thrift_spec.items())}
    del out["arguments"]
    out["args"] = {"limit": struct.arguments.limit, "offset": struct.arguments.offset}
    return out


def touch(struct: Any) -> int:
    """Visit every field of a decoded struct; the number of scalars seen."""
    count = 0
    stack = [struct]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif hasattr(node, "thrift_spec"):
            stack.extend(getattr(node, spec[1]) for spec in node.thrift_spec.values())
        else:
            count += 1
    return count


class Handler:
    def __init__(self, options: dict[str, Any]) -> None:
        self.ids = IdLog(options.get("ids_file"))

    def Echo(self, call: Any) -> Any:
        touch(call)
        self.ids.append(call.id)
        return call


class _NoDelayServerSocket(TServerSocket):
    def accept(self) -> TSocket:
        client, _ = self.sock.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return TSocket(sock=client)


def serve(listen: str, options: dict[str, Any], ready: Callable[[dict[str, Any]], None]) -> None:
    host, _, port = listen.rpartition(":")
    server_socket = _NoDelayServerSocket(host=host, port=int(port), client_timeout=None)
    server_socket.listen()  # here, to learn the port the OS chose
    server_socket.listen = lambda: None  # type: ignore[method-assign]
    server = TThreadedServer(
        TProcessor(rpc_thrift.Bench, Handler(options)),
        server_socket,
        iprot_factory=TCyBinaryProtocolFactory(),
        itrans_factory=TCyBufferedTransportFactory(),
        daemon=True,
    )
    ready({"listen": [host, server_socket.sock.getsockname()[1]],
           "thriftpy2_version": thriftpy2.__version__})  # fmt: skip
    server.serve()


class Client:
    def __init__(self, address: dict[str, Any], options: dict[str, Any]) -> None:
        host, port = address["listen"]
        self.client = make_client(
            rpc_thrift.Bench, host, port,
            proto_factory=TCyBinaryProtocolFactory(),
            trans_factory=TCyBufferedTransportFactory(),
            timeout=int(options.get("timeout_s", 30.0) * 1000),
        )  # fmt: skip
        self.info = {"thriftpy2_version": thriftpy2.__version__, "protocol": "binary (cython)"}

    def bind(self, payload: Payload) -> Bound:
        field = BODIES.get(payload.message or "")
        if field is None:
            raise Unsupported(f"no Thrift struct for payload {payload.name} in payloads/rpc.thrift")
        body = to_struct(payload.message, payload.value)
        request = rpc_thrift.Call(id=0, **{field: body})
        echo = self.client.Echo

        def call(request_id: int) -> Any:
            request.id = request_id
            return echo(request)

        def check(reply: Any, request_id: int) -> None:
            if reply.id != request_id:
                raise WrongAnswer(f"reply to call {request_id} carries id {reply.id}")
            if getattr(reply, field) != body:
                raise WrongAnswer(f"reply to call {request_id} is not the {field} sent")

        return Bound(call, check, lambda reply: to_plain(getattr(reply, field)))

    def close(self) -> None:
        self.client.close()


def connect(address: dict[str, Any], options: dict[str, Any]) -> Client:
    return Client(address, options)
