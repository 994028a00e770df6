"""What every server does with a call, whatever the framework: touch, log the id, echo.

The id log is the fault cases' ledger: the server appends each request id to a file
the harness owns *before* it replies, with one ``write`` on an ``O_APPEND`` file
descriptor, so the record survives a SIGKILL and a call executed twice shows as
an id written twice.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from commbench.codecs.walk import touch_plain

ONEOF_FIELDS = {
    "Rpc": "rpc",
    "Sweep": "sweep",
    "GithubEventList": "github",
    "Blob": "blob",
    "TwitterSearch": "twitter",
    "CitmCatalog": "citm",
    "CanadaCollection": "canada",
}
"""corpus.proto message -> the field of ``Call.body`` (payloads/rpc.proto) that carries it."""


class IdLog:
    """Appends request ids to a file (one decimal per line); a no-op without a path."""

    def __init__(self, path: str | None) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if path else None

    def append(self, request_id: int) -> None:
        if self.fd is not None:
            os.write(self.fd, b"%d\n" % request_id)


def read_ids(path: str | Path) -> Counter[int]:
    """How many times the server executed each request id (a torn last line is ignored)."""
    counts: Counter[int] = Counter()
    text = Path(path).read_bytes().decode("ascii", "replace")
    for line in text.split("\n")[:-1]:
        if line.isdigit():
            counts[int(line)] += 1
    return counts


def touch_document(doc: Any) -> int:
    """Visit every value of a plain decoded document; the number of scalars seen."""
    return touch_plain(doc)


def touch_message(message: Any) -> int:
    """Visit every value of a protobuf message (upb decodes sub-messages lazily)."""
    from commbench.codecs.proto_convert import touch

    return touch(message)


class Segments:
    """Shared-memory segments a server has attached, by name (a reference is resolved once).

    At most *keep* stay attached; the oldest is closed first. Attaching never makes
    this process responsible for unlinking (the creator owns the segment).
    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._open: dict[str, Any] = {}

    def view(self, name: str, size_bytes: int) -> memoryview:
        from commbench.transports.shm import attach

        if name not in self._open:
            if len(self._open) >= self.keep:
                oldest = next(iter(self._open))
                self._open.pop(oldest).close()
            self._open[name] = attach(name)
        return self._open[name].buf[:size_bytes]


def checksum(data: Any, fraction: float) -> tuple[int, int]:
    """Read the first *fraction* of *data* (bytes-like): (bytes read, sum of them mod 2**64)."""
    n = len(data)
    k = n if fraction >= 1.0 else max(1, int(n * fraction)) if n else 0
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8, count=k)
    return k, int(view.sum(dtype=np.uint64))
