"""CBOR (RFC 8949) with cbor2's C extension; bytes and big integers travel natively."""

from __future__ import annotations

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import touch_plain
from commbench.corpus import Payload


def _bind(payload: Payload) -> Bound:
    try:
        import cbor2
    except ImportError as exc:
        raise Unsupported("cbor2 is not installed") from exc
    return Bound(payload.value, cbor2.dumps, cbor2.loads, lambda doc: doc, touch_plain)


CODEC = Codec(
    name="cbor2",
    distribution="cbor2",
    wire_format="CBOR",
    bind=_bind,
    cannot_carry="lone surrogates (strings must be valid UTF-8); very deep nesting (1000 levels)",
)
