"""Accuracy against references, side by side in one run.

- TCP: the suite's round trip vs a minimal hand-written Python ping-pong (same
  size, same placement), target within 10%.
- MPI: the suite's small-message one-way latency vs ``mpiexec -n 2 python -m
  mpi4py.bench pingpong``, target within 15% (when MPI is installed).

Each benchmark's rounds are the suite's one-way latencies; the reference figure
and the ratio are in ``extra_info.metrics``.
"""

from __future__ import annotations

import numpy as np
import pytest

from commbench.results import SCHEMA_VERSION
from commbench.transports import TRANSPORTS, Unsupported
from commbench.transports.latency import record_samples
from commbench.transports.placement import placements
from commbench.transports.reference import handwritten_tcp_rtt_ns

SIZE_BYTES = 64
COUNT = 5000


@pytest.mark.parametrize("placement", placements(spinning=False), ids=lambda p: p.name)
def test_tcp_against_handwritten_pingpong(benchmark, placement) -> None:
    reference = handwritten_tcp_rtt_ns(
        SIZE_BYTES, COUNT, client_cpu=placement.client_cpu, server_cpu=placement.peer_cpu
    )
    with TRANSPORTS["tcp"].open(placement, {}) as link:
        suite = link.measure(SIZE_BYTES, COUNT, 30.0)
    suite_p50, reference_p50 = np.median(suite.rtt_ns), np.median(reference)
    benchmark.group = "reference: tcp vs hand-written ping-pong"
    benchmark.extra_info.update(
        family="reference",
        subject="tcp",
        params={
            "size_bytes": SIZE_BYTES,
            "placement": placement.name,
            "path": "localhost",
            "reference": "hand-written Python ping-pong",
        },
        metrics={
            "suite_rtt_p50_ns": float(suite_p50),
            "reference_rtt_p50_ns": float(reference_p50),
            "ratio": float(suite_p50 / reference_p50),
        },
        schema=SCHEMA_VERSION,
    )
    record_samples(benchmark, suite.one_way_ns / 1e9)


def test_mpi_against_mpi4py_bench(benchmark, unsupported) -> None:
    name = "mpi-buffer-shm"
    if name not in TRANSPORTS:
        unsupported("reference", name, {}, "the MPI transport is not available")
    try:
        from commbench.transports.mpi_reference import mpi4py_bench_pingpong
    except ImportError as exc:
        unsupported("reference", name, {}, f"MPI reference not available: {exc}")
    placement = placements(spinning=True)[0]
    try:
        reference_s = mpi4py_bench_pingpong(SIZE_BYTES, COUNT)
        with TRANSPORTS[name].open(placement, {"sizes": [SIZE_BYTES]}) as link:
            suite = link.measure(SIZE_BYTES, COUNT, 30.0)
    except Unsupported as exc:
        unsupported("reference", name, {}, str(exc))
    suite_mean_s = float(np.mean(suite.one_way_ns)) / 1e9  # mpi4py.bench reports the mean
    benchmark.group = "reference: mpi vs mpi4py.bench pingpong"
    benchmark.extra_info.update(
        family="reference",
        subject=name,
        params={
            "size_bytes": SIZE_BYTES,
            "placement": placement.name,
            "path": "localhost",
            "reference": "mpi4py.bench pingpong",
        },
        metrics={
            "suite_one_way_mean_ns": suite_mean_s * 1e9,
            "reference_one_way_mean_ns": reference_s * 1e9,
            "ratio": suite_mean_s / reference_s,
        },
        schema=SCHEMA_VERSION,
    )
    record_samples(benchmark, suite.one_way_ns / 1e9)
