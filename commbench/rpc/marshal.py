"""The codec work of one echo call, measured apart from the call, in the same run.

One Echo marshals four times: the client encodes the request, the server decodes
it and touches every value, the server encodes the reply, the client decodes it.
Each adapter names its codec (``CODEC``); this module does that work with the same
library calls the framework makes, so ``codec_ns / call_ns`` is the marshalling
share of a call (the lecture's "JSON for RPC is very inefficient", in numbers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from commbench.corpus import Payload, binary_keys
from commbench.rpc.service import touch_document, touch_message


def _protobuf(payload: Payload) -> Callable[[], int]:
    from commbench.rpc.gen import rpc_pb2
    from commbench.rpc.proto_call import call_message

    request, _ = call_message(payload)
    parse = rpc_pb2.Call.FromString

    def work() -> int:
        server_side = parse(request.SerializeToString())
        touch_message(server_side)
        return len(parse(server_side.SerializeToString()).SerializeToString(deterministic=False))

    return work


def _protobuf_json(payload: Payload) -> Callable[[], int]:
    from connectrpc._codec import get_proto_json_codec  # the codec connect-python uses

    from commbench.rpc.gen import rpc_pb2
    from commbench.rpc.proto_call import call_message

    request, _ = call_message(payload)
    codec = get_proto_json_codec()

    def work() -> int:
        server_side = codec.decode(codec.encode(request), rpc_pb2.Call())
        touch_message(server_side)
        reply = codec.encode(server_side)
        codec.decode(reply, rpc_pb2.Call())
        return len(reply)

    return work


def _msgpack(payload: Payload) -> Callable[[], int]:
    from commbench.rpc.msgpack_call import packb, unpackb

    doc = payload.value

    def work() -> int:
        request_id, _, args = unpackb(packb([1, "Echo", doc]))
        touch_document(args)
        reply = packb([request_id, args])
        unpackb(reply)
        return len(reply)

    return work


def _json(payload: Payload) -> Callable[[], int]:
    import orjson

    from commbench.codecs.walk import b64_default, restore_binary

    doc, keys = payload.value, binary_keys(payload)

    def work() -> int:
        request = {"jsonrpc": "2.0", "method": "Echo", "params": [doc], "id": 1}
        server_side = orjson.loads(orjson.dumps(request, default=b64_default))
        touch_document(server_side["params"][0])
        reply = orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": server_side["params"][0]})
        restore_binary(orjson.loads(reply)["result"], keys)
        return len(reply)

    return work


def _thrift(payload: Payload) -> Callable[[], int]:
    from thriftpy2.protocol import TCyBinaryProtocolFactory
    from thriftpy2.utils import deserialize, serialize

    from commbench.rpc import Unsupported
    from commbench.rpc.thrift_rpc import BODIES, rpc_thrift, to_struct, touch

    field = BODIES.get(payload.message or "")
    if field is None:
        raise Unsupported(f"no Thrift struct for payload {payload.name}")
    request = rpc_thrift.Call(id=1, **{field: to_struct(payload.message, payload.value)})
    factory = TCyBinaryProtocolFactory()

    def work() -> int:
        server_side = deserialize(rpc_thrift.Call(), serialize(request, factory), factory)
        touch(server_side)
        reply = serialize(server_side, factory)
        deserialize(rpc_thrift.Call(), reply, factory)
        return len(reply)

    return work


def _capnp(payload: Payload) -> Callable[[], int]:
    from commbench.rpc import Unsupported
    from commbench.rpc.capnp_rpc import BODIES, rpc_capnp, to_fields

    field = BODIES.get(payload.message or "")
    if field is None:
        raise Unsupported(f"no Cap'n Proto struct for payload {payload.name}")
    request = rpc_capnp.Call.new_message(id=1, body={field: to_fields(payload.value)})
    call = rpc_capnp.Call

    def work() -> int:
        data = request.to_bytes()
        request.clear_write_flag()  # written again on purpose: every echo encodes anew
        with call.from_bytes(data) as server_side:
            touch_document(server_side.to_dict())
            reply = server_side.as_builder().to_bytes()
        with call.from_bytes(reply) as client_side:
            client_side.to_dict()
        return len(reply)

    return work


CODECS: dict[str, Callable[[Payload], Callable[[], int]]] = {
    "protobuf": _protobuf,
    "protobuf-json": _protobuf_json,
    "msgpack": _msgpack,
    "json": _json,
    "thrift": _thrift,
    "capnp": _capnp,
}
"""An adapter's ``CODEC`` -> the codec work of one echo of a payload."""


def codec_ns(
    codec: str, payload: Payload, *, max_seconds: float = 0.5, max_reps: int = 200
) -> dict[str, Any]:
    """Median ns of one echo's codec work, and the reply's bytes.

    A first run warms up; when it alone takes longer than *max_seconds* (protobuf's
    JSON mapping on a megabyte takes seconds) it is the only measurement, otherwise
    at least 3 more runs are timed, within *max_seconds*.
    """
    work = CODECS[codec](payload)
    clock = time.perf_counter_ns
    start = clock()
    reply_bytes = work()
    first = clock() - start
    times = []
    deadline = clock() + int(max_seconds * 1e9)
    while first <= max_seconds * 1e9 and len(times) < max_reps:
        if len(times) >= 3 and clock() > deadline:
            break
        start = clock()
        work()
        times.append(clock() - start)
    times = times or [first]
    return {"codec_ns": float(np.median(times)), "codec_reps": len(times),
            "encoded_reply_bytes": reply_bytes}  # fmt: skip
