"""MessagePack with the msgpack C extension; bytes travel natively."""

from __future__ import annotations

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import touch_plain
from commbench.corpus import Payload


def _bind(payload: Payload) -> Bound:
    try:
        import msgpack
    except ImportError as exc:
        raise Unsupported("msgpack is not installed") from exc
    packer = msgpack.Packer()
    return Bound(payload.value, packer.pack, msgpack.unpackb, lambda doc: doc, touch_plain)


CODEC = Codec(
    name="msgpack",
    distribution="msgpack",
    wire_format="MessagePack",
    bind=_bind,
    cannot_carry="ints beyond 64 bits; lone surrogates",
)
