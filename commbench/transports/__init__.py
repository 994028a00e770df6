"""The transport registry: one module per transport, each giving :class:`Transport` entries.

A transport opens a :class:`Link` for a CPU placement: a client in this process
and a peer (a process the suite owns, or MPI ranks started together by mpiexec).
A link measures round trips (latency) and, where it can, a stream (throughput);
what it cannot do raises :class:`Unsupported` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from commbench.registry import collect
from commbench.transports.latency import RttSamples
from commbench.transports.placement import Placement


class Unsupported(Exception):
    """This transport cannot do this (size, placement, missing library...)."""


@dataclass(frozen=True)
class StreamResult:
    """One streaming run: what was sent, what arrived, and how long it took."""

    sent: int
    received: int
    received_bytes: int
    elapsed_ns: int
    timed_out: bool = False

    @property
    def lost(self) -> int:
        return self.sent - self.received


class Link(Protocol):
    """An open client-peer pair. ``info`` is recorded with every result."""

    info: dict[str, Any]

    def measure(self, size_bytes: int, count: int, max_seconds: float) -> RttSamples: ...

    def stream(self, size_bytes: int, count: int, max_seconds: float) -> StreamResult: ...


@dataclass(frozen=True)
class Transport:
    """A way for two processes to exchange messages.

    ``spinning`` transports busy-wait and are never measured with both ends on one
    core. ``remote`` transports can reach a LAN peer (``--peer HOST:PORT``).
    ``open(placement, options)`` is a context manager giving a :class:`Link`.
    """

    name: str
    label: str
    open: Callable[[Placement, dict[str, Any]], AbstractContextManager[Link]]
    spinning: bool = False
    remote: bool = False
    max_size_bytes: int | None = None
    streams: bool = False
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


_MODULES = ("socket_links", "zmq_links", "shm_links", "mpi_links")


TRANSPORTS: dict[str, Transport] = collect("commbench.transports", _MODULES, "TRANSPORTS")
