"""The Echo service in Protocol Buffers terms, shared by the gRPC and Connect adapters."""

from __future__ import annotations

from typing import Any

from commbench.corpus import Payload
from commbench.rpc import Bound, Unsupported, WrongAnswer
from commbench.rpc.service import ONEOF_FIELDS, IdLog, Segments, checksum, touch_message

MAX_MESSAGE_BYTES = 256 * 2**20
"""Raised from gRPC's default 4 MiB so the by-reference sweep (64 MiB) fits; recorded."""


def call_message(payload: Payload) -> tuple[Any, str]:
    """A ``Call`` carrying *payload*, and the name of its body field."""
    from commbench.codecs import corpus_pb2, proto_convert
    from commbench.rpc.gen import rpc_pb2

    field = ONEOF_FIELDS.get(payload.message or "")
    if field is None:
        raise Unsupported(f"payload {payload.name} has no message in payloads/rpc.proto")
    body = proto_convert.to_message(getattr(corpus_pb2, payload.message), payload.value)
    call = rpc_pb2.Call(id=0)
    getattr(call, field).CopyFrom(body)
    return call, field


def bind(payload: Payload, send: Any) -> Bound:
    """``send(request) -> reply`` (a stub's unary method) bound to *payload*."""
    request, field = call_message(payload)
    expected = getattr(request, field)

    def call(request_id: int) -> Any:
        request.id = request_id
        return send(request)

    def check(reply: Any, request_id: int) -> None:
        if reply.id != request_id:
            raise WrongAnswer(f"reply to call {request_id} carries id {reply.id}")
        if reply.WhichOneof("body") != field or getattr(reply, field) != expected:
            raise WrongAnswer(f"reply to call {request_id} is not the {field} document sent")

    def document(reply: Any) -> Any:
        from commbench.codecs.proto_convert import to_plain

        return to_plain(getattr(reply, field))

    return Bound(call, check, document)


class EchoLogic:
    """The server side of Echo and Read on messages: touch the whole request, log, reply."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.ids = IdLog(options.get("ids_file"))
        self.segments = Segments()

    def echo(self, request: Any) -> Any:
        touch_message(request)
        self.ids.append(request.id)
        return request  # encoded again by the framework

    def read(self, request: Any) -> Any:
        from commbench.rpc.gen import rpc_pb2

        if request.WhichOneof("object") == "handle":
            view = self.segments.view(request.handle.shm_name, request.handle.size_bytes)
            n, total = checksum(view, request.fraction)
            view.release()
        else:
            n, total = checksum(request.data, request.fraction)
        self.ids.append(request.id)
        return rpc_pb2.ReadReply(id=request.id, bytes_read=n, checksum=total)


def bind_read(obj: Any, fraction: float, expected: tuple[int, int], send: Any) -> Bound:
    """Read(object or handle, fraction) with ``send(ReadRequest) -> ReadReply``."""
    from commbench.rpc.gen import rpc_pb2

    if isinstance(obj, dict):
        handle = rpc_pb2.Handle(shm_name=obj["shm"], size_bytes=obj["size"])
        request = rpc_pb2.ReadRequest(handle=handle, fraction=fraction)
    else:
        request = rpc_pb2.ReadRequest(data=obj, fraction=fraction)

    def call(request_id: int) -> Any:
        request.id = request_id
        return send(request)

    def check(reply: Any, request_id: int) -> None:
        got = (reply.id, reply.bytes_read, reply.checksum)
        if got != (request_id, *expected):
            raise WrongAnswer(f"Read {request_id}: got {got}, expected {expected}")

    return Bound(call, check, lambda reply: (reply.bytes_read, reply.checksum))
