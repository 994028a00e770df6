"""Which transport measurements a run makes: transport x placement x size, and the labels.

Kept apart from the benchmark modules so the CLI, the benchmarks and the tests
agree on one list, and on what is recorded with each result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commbench.profiles import PROFILES
from commbench.transports import TRANSPORTS, Transport
from commbench.transports.placement import Placement, available_cpus, placements


@dataclass(frozen=True)
class Case:
    """One measurement: a transport, a placement of its two ends, a message size."""

    transport: Transport
    placement: Placement
    size_bytes: int
    path: str

    @property
    def id(self) -> str:
        return f"{self.transport.name}-{self.placement.name}-{self.size_bytes}B"

    def params(self) -> dict[str, Any]:
        return {
            "transport": self.transport.name,
            "size_bytes": self.size_bytes,
            "placement": self.placement.name,
            "client_cpu": self.placement.client_cpu,
            "peer_cpu": self.placement.peer_cpu,
            "path": self.path,
            "spinning": self.transport.spinning,
        }


def lan_placement() -> Placement:
    """Across a LAN only the client's CPU is ours to pin."""
    return Placement("lan", available_cpus()[0], None)  # type: ignore[arg-type]


def cases(
    kind: str, profile: str, peer: str | None = None, mpi_hosts: str | None = None
) -> list[Case]:
    """Every case of *kind* ("latency" or "throughput") for *profile*.

    With *peer* (LAN mode) only transports that can reach another machine are kept,
    and MPI's network path when *mpi_hosts* (mpiexec's host list) is given.
    """
    knobs = PROFILES[profile]
    sizes = knobs.latency_sizes_bytes if kind == "latency" else knobs.throughput_sizes_bytes
    result = []
    for transport in TRANSPORTS.values():
        if kind == "throughput" and not transport.streams:
            continue
        if kind == "latency" and {"fanout", "one-way"} & set(transport.tags):
            continue  # no round trip to time
        if peer is not None:
            across = bool(mpi_hosts) and "mpi" in transport.tags and transport.name.endswith("-net")
            if not (transport.remote or across):
                continue
            spots, path = [lan_placement()], "lan"
        else:
            spots, path = placements(transport.spinning), "localhost"
        for placement in spots:
            for size in sizes:
                result.append(Case(transport, placement, size, path))
    return result


def stream_count(size_bytes: int, profile: str) -> int:
    """Messages per throughput run: a fixed volume, bounded in count."""
    knobs = PROFILES[profile]
    return max(10, min(knobs.throughput_max_messages, knobs.throughput_bytes_per_run // size_bytes))
