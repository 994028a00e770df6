"""CPU placement of the two ends of a transport, controlled and recorded.

On a small machine the placement changes a round trip several times over: both
ends on one core trade the CPU through the scheduler, two cores run in parallel.
A busy-waiting transport (MPICH shared memory, the shared-memory floor) with both
ends on one core spins away its time slice, so it is never run that way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    """Which CPU each end is pinned to."""

    name: str
    client_cpu: int
    peer_cpu: int


_CPUS_AT_START = sorted(os.sched_getaffinity(0))


def available_cpus() -> list[int]:
    """CPUs this process could run on when it started (pinning it later changes nothing)."""
    return list(_CPUS_AT_START)


def placements(spinning: bool) -> list[Placement]:
    """The placements to measure: same core and across cores; spinners only across."""
    cpus = available_cpus()
    result = []
    if not spinning:
        result.append(Placement("same-core", cpus[0], cpus[0]))
    if len(cpus) >= 2:
        result.append(Placement("cross-core", cpus[0], cpus[1]))
    return result


@contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """Pin the calling process to *cpu* for the duration (None: leave as it is)."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
