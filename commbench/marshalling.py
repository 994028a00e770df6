"""Marshalling: prepare a codec for a payload, check it, and say what to time.

Everything here runs outside the timed region: binding, one encode/decode to check
the round trip, sizes, and the copy floor. The timed calls are returned by
:func:`timed_call` and handed to pytest-benchmark by ``bench/test_marshalling.py``.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from commbench.codecs import Bound, Codec, Unsupported
from commbench.codecs.walk import first_difference
from commbench.corpus import Payload

OPS = ("encode", "decode", "decode+touch")
"""What is timed: ``decode`` is parse only (lazy for upb); ``decode+touch`` also
visits every field of the result, which makes lazy and eager parsers comparable."""

ZLIB_LEVEL = 6


@dataclass(frozen=True)
class Prepared:
    """A codec bound to a payload, checked, with its size metrics."""

    codec: Codec
    payload: Payload
    bound: Bound
    encoded: bytes
    touched: int
    metrics: dict[str, float]


def prepare(codec: Codec, payload: Payload) -> Prepared:
    """Bind, encode once, check the round trip and measure sizes and the copy floor.

    Raises :class:`Unsupported` when the codec refuses the payload or does not give
    back an equal document (a fast wrong answer is not a result).
    """
    bound = codec.bind(payload)
    try:
        encoded = bound.encode(bound.value)
        decoded = bound.decode(encoded)
        plain = bound.to_plain(decoded)
        touched = bound.touch(bound.decode(encoded))
    except Unsupported:
        raise
    except (RecursionError, MemoryError) as exc:
        raise Unsupported(f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # each library raises its own types: the reason is the result
        raise Unsupported(f"{type(exc).__name__}: {_one_line(exc)}") from exc
    difference = first_difference(payload.value, plain)
    if difference is not None:
        raise Unsupported(f"lossy round trip: {difference}")
    metrics = {
        "encoded_bytes": len(encoded),
        "compressed_bytes": len(zlib.compress(encoded, ZLIB_LEVEL)),
        "copy_floor_ns": copy_floor_ns(encoded),
    }
    return Prepared(codec, payload, bound, encoded, touched, metrics)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else "(no message)"


def timed_call(prepared: Prepared, op: str) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """The function and arguments to time for *op* (one of :data:`OPS`)."""
    bound = prepared.bound
    if op == "encode":
        return bound.encode, (bound.value,)
    if op == "decode":
        return bound.decode, (prepared.encoded,)
    if op == "decode+touch":
        decode, touch = bound.decode, bound.touch

        def decode_and_touch(data: bytes) -> int:
            return touch(decode(data))

        return decode_and_touch, (prepared.encoded,)
    raise ValueError(f"unknown op {op!r}; expected one of {OPS}")


def copy_floor_ns(data: bytes, *, repeat: int = 7, min_loop_ns: int = 200_000) -> float:
    """Median time, in ns, to copy *data* into a preallocated buffer.

    The floor under any codec: a format cannot produce its bytes faster than they
    can be copied. Loops are sized so each timing lasts at least *min_loop_ns*.
    """
    buffer = bytearray(len(data))
    view = memoryview(buffer)
    n = len(data)
    loops = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(loops):
            view[:n] = data
        elapsed = time.perf_counter_ns() - start
        if elapsed >= min_loop_ns or loops >= 1 << 24:
            break
        loops *= 4
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(loops):
            view[:n] = data
        samples.append((time.perf_counter_ns() - start) / loops)
    samples.sort()
    return samples[len(samples) // 2]
