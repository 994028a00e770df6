"""The one place where transport latency is timed, and how samples reach pytest-benchmark.

Method of the reference tools (OSU osu_latency, ZeroMQ local_lat/remote_lat,
mpi4py.bench pingpong): a warm-up, then every round trip timed on its own with
``time.perf_counter_ns``; one-way latency = RTT / 2; the whole distribution is kept.
The same loop runs in the pytest process (sockets, ZeroMQ, the shared-memory floor)
and inside MPI rank 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from commbench import histograms
from commbench.profiles import PROFILES

SUMMARY_SIZES_BYTES = (64, 4096, 65536)


@dataclass(frozen=True)
class RttSamples:
    """Round-trip times of one run, in ns, and the round trips that got no answer."""

    rtt_ns: np.ndarray
    lost: int
    timed_out: bool

    @property
    def one_way_ns(self) -> np.ndarray:
        return self.rtt_ns / 2


def round_trips_for(size_bytes: int, profile: str) -> int:
    """How many timed round trips: many for small messages, fewer for large ones."""
    base = PROFILES[profile].latency_round_trips  # OSU osu_latency: 10000 small
    if size_bytes >= 2**20:
        return max(50, base // 40)
    if size_bytes >= 2**16:
        return max(200, base // 4)
    return base


def measure_rtt(
    round_trip: Callable[[], int],
    expected_bytes: int,
    *,
    count: int,
    warmup: int = 100,
    max_seconds: float = 10.0,
) -> RttSamples:
    """Time *count* calls of ``round_trip()``, which returns the bytes echoed (-1 if lost).

    Stops early (``timed_out``) when *max_seconds* have passed: every loop is bounded.
    A reply of the wrong length is an error, not a sample.
    """
    expected = expected_bytes
    for _ in range(warmup):
        round_trip()
    samples = np.empty(count, dtype=np.int64)
    clock = time.perf_counter_ns
    deadline = clock() + int(max_seconds * 1e9)
    n = lost = 0
    timed_out = False
    for _ in range(count):
        start = clock()
        got = round_trip()
        end = clock()
        if got == expected:
            samples[n] = end - start
            n += 1
        elif got < 0:
            lost += 1
        else:
            raise RuntimeError(f"echo returned {got} bytes, sent {expected}")
        if end > deadline:
            timed_out = True
            break
    return RttSamples(samples[:n], lost, timed_out)


HISTOGRAM_MIN_ROUNDS = 100
"""From this many samples on, :func:`record_samples` stores the distribution as an
HdrHistogram. Below it (throughput's few timed runs per benchmark) the raw JSON array is
about as small as a histogram (~22 bytes a sample against ~100-400 bytes), and exact."""


def record_samples(benchmark: object, samples_s: np.ndarray) -> None:
    """Store already-measured per-round-trip times (seconds) as pytest-benchmark rounds.

    pytest-benchmark times rounds with its own timer; here the timing was done by
    :func:`measure_rtt` (possibly in another process), so its timer is replaced for
    this benchmark by one that replays the measured durations exactly. Median,
    percentiles and pytest-benchmark's ``stats`` in the result file are then ours,
    computed from the exact samples. A test checks this against pytest-benchmark's
    stored data.

    With :data:`HISTOGRAM_MIN_ROUNDS` samples or more the distribution is also kept as an
    HdrHistogram string in ``extra_info["histogram"]`` (:func:`commbench.histograms.encode`),
    and the result file leaves out the raw ``stats.data`` of that benchmark unless
    ``--keep-raw-samples`` is given (:mod:`commbench.pytest_plugin`): 10,000 round trips
    take ~2 kB instead of ~220 kB.
    """
    if len(samples_s) == 0:
        raise ValueError("no samples to record")
    if len(samples_s) >= HISTOGRAM_MIN_ROUNDS:
        benchmark.extra_info["histogram"] = histograms.encode(samples_s)
    replay = _replay_clock(samples_s)

    def replayed_perf_counter() -> float:
        return next(replay)

    benchmark._timer = replayed_perf_counter
    benchmark.pedantic(lambda: None, rounds=len(samples_s), iterations=1, warmup_rounds=0)


def _replay_clock(samples_s: np.ndarray) -> Iterator[float]:
    """0, d1, 0, d2, ...: each round's end minus start is exactly its duration."""
    for duration in samples_s.tolist():
        yield 0.0
        yield duration
