"""The rpc family: one adapter module per RPC framework, all serving one service.

The service (payloads/rpc.proto, and the same shape in msgpack and JSON-RPC):

- ``Echo(call)``: the server decodes the whole request, touches every value, logs the
  request id when asked to (the fault cases), and encodes the document back;
- ``Read(object or handle, fraction)``: by value against by reference.

An adapter module gives ``ENCODING``, ``serve(listen, options, ready)`` (run inside
the server process, :mod:`commbench.rpc.server`) and ``connect(address, options)``
returning a :class:`Client`. A framework that is not installed, or cannot carry a
payload, raises :class:`Unsupported` with the reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol


class Unsupported(Exception):
    """This framework cannot do this (not installed, payload, size...)."""


class WrongAnswer(Exception):
    """A reply that is not what was sent: an error of the run, never a sample."""


class RpcFailed(Exception):
    """A call that did not complete (the framework's error, a closed connection...)."""


@dataclass(frozen=True)
class Bound:
    """One payload bound to a client: ``call(request_id)`` then ``check(reply, request_id)``.

    ``call`` does the whole call as a user of the framework sees it: marshal the
    request, send, wait, unmarshal the reply. ``check`` (not timed) raises
    :class:`WrongAnswer` unless the reply is the document sent with that id.
    ``document(reply)`` gives the reply's document as plain Python (for tests).
    """

    call: Callable[[int], Any]
    check: Callable[[Any, int], None]
    document: Callable[[Any], Any]


class Client(Protocol):
    info: dict[str, Any]

    def bind(self, payload: Any) -> Bound: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Framework:
    """One RPC stack: an adapter module, and the options it is opened with."""

    name: str
    module: str  # under commbench.rpc
    label: str
    encoding: str
    options: dict[str, Any] = field(default_factory=dict)
    codec: str = ""  # the codec work of one echo, commbench.rpc.marshal.CODECS
    requires: tuple[str, ...] = ()  # importable modules the adapter needs
    tls: bool = False  # can run with TLS
    one_call_per_connection: bool = False  # REQ/REP, a plain TCP connection
    multiplexed: bool = False  # many calls in flight on one connection (HTTP/2)

    def load(self) -> ModuleType:
        """The adapter module; :class:`Unsupported` with the reason when it cannot load."""
        for name in self.requires:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                raise Unsupported(f"{name} is not installed ({exc})") from None
        return importlib.import_module(f"commbench.rpc.{self.module}")


_CONNECT = ("connectrpc", "pyqwest", "uvicorn")

FRAMEWORKS: dict[str, Framework] = {
    f.name: f
    for f in (
        Framework("grpc", "grpc_sync", "gRPC (grpcio, sync server)", "protobuf",
                  codec="protobuf", requires=("grpc",), tls=True, multiplexed=True),
        Framework("grpc-aio", "grpc_aio", "gRPC (grpcio, asyncio server)", "protobuf",
                  codec="protobuf", requires=("grpc",), tls=True, multiplexed=True),
        Framework("connect-proto", "connect", "Connect (connect-python, protobuf)", "protobuf",
                  {"json": False}, codec="protobuf", requires=_CONNECT, tls=True),
        Framework("connect-json", "connect", "Connect (connect-python, JSON)", "json",
                  {"json": True}, codec="protobuf-json", requires=_CONNECT, tls=True),
        Framework("jsonrpc", "jsonrpc", "JSON-RPC 2.0 over HTTP/1.1 (uvicorn, httpx)", "json",
                  codec="json", requires=("uvicorn", "httpx", "orjson"), tls=True),
        Framework("zmq", "zmq_reqrep", "ZeroMQ REQ/REP + msgpack", "msgpack",
                  codec="msgpack", requires=("zmq", "msgpack"), one_call_per_connection=True),
        Framework("tcp", "tcp_msgpack", "raw TCP, length-prefixed msgpack", "msgpack",
                  codec="msgpack", requires=("msgpack",), one_call_per_connection=True),
        Framework("thrift", "thrift_rpc", "Thrift (thriftpy2, binary protocol)", "thrift-binary",
                  codec="thrift", requires=("thriftpy2",), one_call_per_connection=True),
        Framework("capnp", "capnp_rpc", "Cap'n Proto RPC (pycapnp, asyncio)", "capnp",
                  codec="capnp", requires=("capnp",)),
    )
}  # fmt: skip
"""Framework name -> :class:`Framework`: benchmarks, tests and the report read this."""


def load(name: str) -> tuple[Framework, ModuleType]:
    """The framework and its adapter module; :class:`Unsupported` with the reason."""
    framework = FRAMEWORKS[name]
    module = framework.load()
    reason = getattr(module, "UNSUPPORTED", None)
    if reason:
        raise Unsupported(str(framework.options.get("reason", reason)))
    return framework, module
