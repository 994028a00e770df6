"""Protocol Buffers through the upb backend, reported two ways.

``protobuf`` times the message-native calls (``SerializeToString`` of a message
built beforehand, ``FromString``); ``protobuf+dict`` includes the conversion from
and to the plain document, which is what a program holding dicts pays. Built-in
payloads use the messages of ``payloads/corpus.proto``; a user's payload uses a
schema inferred from its JSON structure at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import touch_plain
from commbench.corpus import Payload

_inferred: dict[str, Any] = {}  # payload name -> (class, reason)


def backend() -> str:
    """The protobuf implementation in use: "upb" (fast), "cpp" or "python" (slow)."""
    try:
        from google.protobuf.internal import api_implementation
    except ImportError:
        return "not installed"
    return api_implementation.Type()


def message_class(payload: Payload) -> Any:
    """The message class that carries *payload*; raises Unsupported with the reason."""
    try:
        from commbench.codecs import corpus_pb2, proto_infer
    except ImportError as exc:
        raise Unsupported("protobuf is not installed") from exc
    if payload.message:
        return getattr(corpus_pb2, payload.message)
    key = payload.name
    if key not in _inferred:
        _inferred[key] = proto_infer.infer_message_class(payload.value)
    cls, reason = _inferred[key]
    if cls is None:
        raise Unsupported(f"no protobuf schema can be inferred: {reason}")
    return cls


def _bind_native(payload: Payload) -> Bound:
    from commbench.codecs import proto_convert

    cls = message_class(payload)
    message = _convert(proto_convert.to_message, cls, payload.value)
    return Bound(
        value=message,
        encode=cls.SerializeToString,
        decode=cls.FromString,
        to_plain=proto_convert.to_plain,
        touch=proto_convert.touch,
    )


def _bind_dict(payload: Payload) -> Bound:
    from commbench.codecs import proto_convert

    cls = message_class(payload)
    _convert(proto_convert.to_message, cls, payload.value)
    to_message, to_plain, parse = proto_convert.to_message, proto_convert.to_plain, cls.FromString

    def encode(doc: Any) -> bytes:
        return to_message(cls, doc).SerializeToString()

    def decode(data: bytes) -> Any:
        return to_plain(parse(data))

    return Bound(payload.value, encode, decode, lambda doc: doc, touch_plain)


def _convert(convert: Callable[[Any, Any], Any], cls: Any, value: Any) -> Any:
    try:
        return convert(cls, value)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise Unsupported(f"does not fit the protobuf schema: {exc}") from exc


_LIMITS = (
    "a schema: nulls only as absent optional fields, no heterogeneous lists, no nulls in "
    "lists, ints beyond 64 bits, nesting deeper than 100"
)

CODECS = (
    Codec(
        name="protobuf",
        distribution="protobuf",
        wire_format="Protocol Buffers",
        bind=_bind_native,
        cannot_carry=_LIMITS,
        notes="message-native: the message is built before timing",
    ),
    Codec(
        name="protobuf+dict",
        distribution="protobuf",
        wire_format="Protocol Buffers",
        bind=_bind_dict,
        cannot_carry=_LIMITS,
        notes="includes dict -> message and message -> dict conversion",
    ),
)
