"""Python's own json module, bytes in and bytes out.

``json.dumps`` returns str: the ``.encode()`` to UTF-8 bytes is counted, as a
program that sends the text over a socket must do it. Compact separators and
``ensure_ascii=False`` give the same bytes orjson writes.
"""

from __future__ import annotations

import json

from commbench.codecs import Bound, Codec
from commbench.codecs.walk import b64_default, restore_binary, touch_plain
from commbench.corpus import Payload, binary_keys


def _bind(payload: Payload) -> Bound:
    keys = binary_keys(payload)
    dumps, loads = json.dumps, json.loads

    def encode(doc: object) -> bytes:
        return dumps(doc, ensure_ascii=False, separators=(",", ":"), default=b64_default).encode()

    def decode(data: bytes) -> object:
        return restore_binary(loads(data), keys)

    return Bound(payload.value, encode, decode, lambda doc: doc, touch_plain)


CODEC = Codec(
    name="json",
    distribution="python",
    wire_format="JSON",
    bind=_bind,
    cannot_carry="bytes (sent as base64 text); lone surrogates (UTF-8 cannot encode them); "
    "NaN/Infinity only as a non-standard extension; very deep nesting (1000 levels)",
    notes="stdlib json; str -> bytes .encode() is counted",
)
