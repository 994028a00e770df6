"""The codec registry: one small adapter module per wire format library.

Each adapter exposes a :class:`Codec`. ``codec.bind(payload)`` prepares it for one
payload (picks a protobuf message class, base64 handling for binary fields) and
returns a :class:`Bound` with the two functions that are timed. A library that is
not installed, or a payload the codec cannot carry, raises :class:`Unsupported`
with a one-line reason: a row in the results, never an ImportError.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commbench.corpus import Payload


class Unsupported(Exception):
    """This codec cannot carry this payload; the message says why."""


@dataclass(frozen=True)
class Bound:
    """A codec prepared for one payload.

    ``encode(value)`` and ``decode(data)`` are the timed calls; ``to_plain`` turns
    what ``decode`` returned into a plain document for the correctness check and
    ``touch`` visits every field of it (upb decodes lazily, so "parse" alone is not
    comparable across codecs).
    """

    value: Any
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]
    to_plain: Callable[[Any], Any]
    touch: Callable[[Any], int]


@dataclass(frozen=True)
class Codec:
    """A wire format as one library implements it."""

    name: str
    distribution: str
    wire_format: str
    bind: Callable[[Payload], Bound]
    cannot_carry: str
    notes: str = ""

    @property
    def version(self) -> str:
        """The installed version of the library, or "not installed"."""
        if self.distribution == "python":
            return platform.python_version()
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"


def _registry() -> dict[str, Codec]:
    from commbench.codecs import (
        cbor_codec,
        msgpack_codec,
        msgspec_codec,
        orjson_codec,
        protobuf_codec,
        stdlib_json,
    )

    codecs = [
        stdlib_json.CODEC,
        orjson_codec.CODEC,
        msgpack_codec.CODEC,
        *protobuf_codec.CODECS,
        *msgspec_codec.CODECS,
        cbor_codec.CODEC,
    ]
    return {codec.name: codec for codec in codecs}


CODECS: dict[str, Codec] = _registry()
