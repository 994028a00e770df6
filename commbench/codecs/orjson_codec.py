"""orjson: JSON in Rust, bytes in and bytes out."""

from __future__ import annotations

import functools

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import b64_default, restore_binary, touch_plain
from commbench.corpus import Payload, binary_keys


def _bind(payload: Payload) -> Bound:
    try:
        import orjson
    except ImportError as exc:
        raise Unsupported("orjson is not installed") from exc
    keys = binary_keys(payload)
    loads = orjson.loads
    if keys:
        # partial, not a closure: no Python frame between the harness and the library
        encode = functools.partial(orjson.dumps, default=b64_default)

        def decode(data: bytes) -> object:
            return restore_binary(loads(data), keys)
    else:  # the library's own functions: nothing between the harness and orjson
        encode, decode = orjson.dumps, loads
    return Bound(payload.value, encode, decode, lambda doc: doc, touch_plain)


CODEC = Codec(
    name="orjson",
    distribution="orjson",
    wire_format="JSON",
    bind=_bind,
    cannot_carry="bytes (sent as base64 text); ints beyond 64 bits; NaN/Infinity (written "
    "as null); lone surrogates; nesting deeper than 254",
)
