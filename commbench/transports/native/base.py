"""The floors' knobs, what a floor run returns, and the registry's entry types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
BUILD_DIR = ROOT / "native" / "build"
BUILD_ENV = "COMMBENCH_NATIVE_BUILD"  # another build directory (the tests build their own)
TOOLS = ("c-helper", "sockperf", "qperf", "iperf3")
SOCKPERF_MAX_BYTES = 65506  # sockperf refuses larger messages
UDP_MAX_BYTES = 65507
WARMUP_ROUND_TRIPS = 1000
SERVER_START_S = 10.0  # for a reference server to bind its port (a loaded host is slow)
MPI_LAUNCH_ALLOWANCE_S = 60.0


@dataclass(frozen=True)
class FloorProfile:
    """The floors' knobs for one profile (folded into commbench/profiles.py later)."""

    max_seconds: float  # one helper run, start to end
    reference_seconds: int  # one sockperf / qperf run (whole seconds, at least 1)
    reference_sizes_bytes: tuple[int, ...] | None  # sizes sockperf and qperf measure (None: all)
    stream_runs: int  # runs per stream floor


# sockperf takes 3.5 s a run whatever -t says (warm-up, then a 2 s sleep), so the quick
# profile runs the Debian tools at 64 B only; the C helpers measure every size.
QUICK = FloorProfile(
    max_seconds=20.0, reference_seconds=1, reference_sizes_bytes=(64,), stream_runs=1
)
FULL = FloorProfile(
    max_seconds=60.0, reference_seconds=3, reference_sizes_bytes=None, stream_runs=3
)
PROFILES = {"quick": QUICK, "full": FULL}


@dataclass(frozen=True)
class FloorSamples:
    """One floor run: round-trip times (ns) and what was measured with what.

    ``per_round_trip`` is False when the tool prints only a mean (qperf): then each
    value of ``rtt_ns`` is the mean round trip of one run.
    """

    rtt_ns: np.ndarray
    tool: str
    info: dict[str, Any] = field(default_factory=dict)
    per_round_trip: bool = True
    lost: int = 0

    @property
    def one_way_ns(self) -> np.ndarray:
        return self.rtt_ns / 2


@dataclass(frozen=True)
class StreamSamples:
    """One stream floor run: messages of ``size_bytes`` delivered in ``elapsed_ns``."""

    messages: int
    received_bytes: int
    elapsed_ns: int
    tool: str
    info: dict[str, Any] = field(default_factory=dict)


RunFloor = Callable[..., FloorSamples]


@dataclass(frozen=True)
class Floor:
    """How one tool measures a transport's floor.

    ``run(placement, size_bytes, count, max_seconds=..., batch=..., seconds=...)`` ->
    FloorSamples; *batch* lists every (size, count) the caller will ask for at this
    placement, so a tool that starts slowly (mpiexec) measures them in one launch;
    *seconds* is how long a tool that runs for a time (sockperf, qperf) runs.
    """

    tool: str
    label: str
    run: RunFloor
    max_size_bytes: int | None = None
    spinning: bool = False  # both ends busy-wait: cross-core only


@dataclass(frozen=True)
class StreamFloor:
    tool: str
    label: str
    run: Callable[..., StreamSamples]


class FloorError(RuntimeError):
    """A floor tool ran but failed (a crash, a timeout, output it should not print)."""
