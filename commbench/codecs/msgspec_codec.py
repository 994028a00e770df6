"""msgspec's JSON and MessagePack codecs, untyped (decoding to dicts and lists).

Typed decoding into ``msgspec.Struct`` is faster still, but needs a schema per
payload; untyped keeps the comparison with the other dict-based codecs fair.
"""

from __future__ import annotations

from collections.abc import Callable

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import restore_binary, touch_plain
from commbench.corpus import Payload, binary_keys


def _binder(module_name: str, restores_base64: bool) -> Callable[[Payload], Bound]:
    def bind(payload: Payload) -> Bound:
        try:
            import msgspec
        except ImportError as exc:
            raise Unsupported("msgspec is not installed") from exc
        module = getattr(msgspec, module_name)
        encode = module.Encoder().encode
        raw_decode = module.Decoder().decode
        keys = binary_keys(payload) if restores_base64 else frozenset()
        if keys:

            def decode(data: bytes) -> object:
                return restore_binary(raw_decode(data), keys)
        else:
            decode = raw_decode
        return Bound(payload.value, encode, decode, lambda doc: doc, touch_plain)

    return bind


CODECS = (
    Codec(
        name="msgspec-json",
        distribution="msgspec",
        wire_format="JSON",
        bind=_binder("json", restores_base64=True),
        cannot_carry="bytes (sent as base64 text); NaN/Infinity (written as null); lone surrogates",
    ),
    Codec(
        name="msgspec-msgpack",
        distribution="msgspec",
        wire_format="MessagePack",
        bind=_binder("msgpack", restores_base64=False),
        cannot_carry="ints beyond 64 bits; lone surrogates; very deep nesting (1000 levels)",
    ),
)
