"""By value against by reference (the lecture's global references), and where they cross.

The same ``Read`` call passes an N-byte object either inline (by value: marshalled,
sent, unmarshalled) or as a handle to a ``multiprocessing.shared_memory`` segment
both processes can reach (by reference: a name and a size). The callee reads the
whole object or 1% of it and returns how many bytes it read and their sum, which
the caller checks. The server keeps a resolved reference (the attached segment)
for the next call, as a system holding global references would.

:func:`crossover_bytes` is the pure rule for where the reference starts to win.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from commbench.rpc.service import checksum

ACCESS = {"whole": 1.0, "1%": 0.01}
"""Access pattern -> the fraction of the object the callee reads."""


def crossover_bytes(
    sizes_bytes: Sequence[int], value_ns: Sequence[float], reference_ns: Sequence[float]
) -> float | None:
    """The object size from which passing a reference is faster than passing the value.

    The reference must win at that size and at every larger one measured. Between the
    last size where the value wins (or ties) and the first where the reference wins
    for good, the crossing is interpolated on log(size) where the two curves' log
    ratio changes sign. None: the reference never wins for good; the smallest size:
    it wins everywhere measured.

    >>> crossover_bytes([64, 1024, 16384], [10, 25, 400], [50, 50, 50])
    2048.0
    >>> crossover_bytes([64, 1024], [10, 20], [50, 50]) is None
    True
    """
    if not (len(sizes_bytes) == len(value_ns) == len(reference_ns)) or not sizes_bytes:
        raise ValueError("need the same, non-zero number of sizes and timings")
    order = np.argsort(sizes_bytes)
    sizes = np.asarray(sizes_bytes, dtype=np.float64)[order]
    log_ratio = np.log(np.asarray(value_ns, dtype=np.float64)[order]) - np.log(
        np.asarray(reference_ns, dtype=np.float64)[order]
    )  # > 0: the reference is faster
    wins = log_ratio > 0
    if not wins[-1]:
        return None
    losing = np.flatnonzero(~wins)
    if losing.size == 0:
        return float(sizes[0])
    i = int(losing[-1])  # the last size where the value wins; the reference wins after it
    a, b = log_ratio[i], log_ratio[i + 1]
    t = -a / (b - a) if b != a else 1.0
    log_size = math.log(sizes[i]) + t * (math.log(sizes[i + 1]) - math.log(sizes[i]))
    return float(round(math.exp(log_size), 6))


def make_object(size_bytes: int, seed: int = 0) -> bytes:
    """N pseudo-random bytes (the object passed)."""
    return np.random.default_rng(seed).integers(0, 256, size_bytes, dtype=np.uint8).tobytes()


def expected(data: bytes, access: str) -> tuple[int, int]:
    """What the callee must answer for *access* on *data*: (bytes read, their sum)."""
    return checksum(data, ACCESS[access])


@contextmanager
def shared_copy(data: bytes):
    """A shared-memory segment holding *data*, as ``{"shm": name, "size": n}``; unlinked after."""
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(create=True, size=max(1, len(data)))
    try:
        shm.buf[: len(data)] = data
        yield {"shm": shm.name, "size": len(data)}
    finally:
        shm.close()
        shm.unlink()


def passing(mode: str, data: bytes, segment: dict[str, Any]) -> Any:
    """The object as the call passes it: the bytes (by value) or the handle (by reference)."""
    return data if mode == "value" else segment
