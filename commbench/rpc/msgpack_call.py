"""The Echo service in msgpack terms, shared by the ZeroMQ and raw TCP adapters.

A request is ``[id, method, args]`` packed with msgpack; the reply ``[id, result]``.
``Echo``: args is the document, the result the same document decoded, touched and
encoded again. ``Read``: args is ``[data or {"shm": name, "size": n}, fraction]``.
"""

from __future__ import annotations

from typing import Any

import msgpack

from commbench.codecs.walk import first_difference
from commbench.corpus import Payload
from commbench.rpc import Bound, WrongAnswer
from commbench.rpc.service import IdLog, checksum, touch_document

packb = msgpack.Packer(use_bin_type=True).pack


def unpackb(data: Any) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class EchoLogic:
    """Server side: decode, touch, log the id, encode the reply."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.ids = IdLog(options.get("ids_file"))

    def handle(self, data: Any) -> bytes:
        request_id, method, args = unpackb(data)
        if method == "Echo":
            touch_document(args)
            self.ids.append(request_id)
            return packb([request_id, args])
        if method == "Read":
            obj, fraction = args
            result = read_object(obj, fraction)
            self.ids.append(request_id)
            return packb([request_id, result])
        return packb([request_id, {"error": f"no method {method!r}"}])


def read_object(obj: Any, fraction: float) -> list[int]:
    if isinstance(obj, dict):
        from multiprocessing import shared_memory

        shm = shared_memory.SharedMemory(name=obj["shm"], track=False)
        try:
            return list(checksum(shm.buf[: obj["size"]], fraction))
        finally:
            shm.close()
    return list(checksum(obj, fraction))


def bind(payload: Payload, exchange: Any) -> Bound:
    """``exchange(request_bytes) -> reply_bytes`` bound to *payload*."""
    doc = payload.value

    def call(request_id: int) -> Any:
        return unpackb(exchange(packb([request_id, "Echo", doc])))

    def check(reply: Any, request_id: int) -> None:
        if not isinstance(reply, list) or len(reply) != 2:
            raise WrongAnswer(f"reply to call {request_id} is not [id, result]")
        if reply[0] != request_id:
            raise WrongAnswer(f"reply to call {request_id} carries id {reply[0]}")
        if reply[1] != doc:
            raise WrongAnswer(
                f"reply to call {request_id} differs at {first_difference(doc, reply[1])}"
            )

    return Bound(call, check, lambda reply: reply[1])
