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
from commbench.rpc.service import IdLog, Segments, checksum, touch_document

packb = msgpack.Packer(use_bin_type=True).pack


def unpackb(data: Any) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class EchoLogic:
    """Server side: decode, touch, log the id, encode the reply."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.ids = IdLog(options.get("ids_file"))
        self.segments = Segments()

    def handle(self, data: Any) -> bytes:
        request_id, method, args = unpackb(data)
        if method == "Echo":
            touch_document(args)
            self.ids.append(request_id)
            return packb([request_id, args])
        if method == "Read":
            obj, fraction = args
            if isinstance(obj, dict):
                view = self.segments.view(obj["shm"], obj["size"])
                result = list(checksum(view, fraction))
                view.release()
            else:
                result = list(checksum(obj, fraction))
            self.ids.append(request_id)
            return packb([request_id, result])
        return packb([request_id, {"error": f"no method {method!r}"}])


def bind_read(obj: Any, fraction: float, expected: tuple[int, int], exchange: Any) -> Bound:
    """Read(object or handle, fraction) over ``exchange``; the reply is (bytes read, sum)."""

    def call(request_id: int) -> Any:
        return unpackb(exchange(packb([request_id, "Read", [obj, fraction]])))

    def check(reply: Any, request_id: int) -> None:
        if reply != [request_id, list(expected)]:
            raise WrongAnswer(f"Read {request_id}: got {reply}, expected {list(expected)}")

    return Bound(call, check, lambda reply: tuple(reply[1]))


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
