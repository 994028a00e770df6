"""Accuracy against references, side by side in one run.

- TCP, UDS, UDP, ZeroMQ REQ/REP (tcp://, ipc://): the suite's round trip vs a
  minimal hand-written Python ping-pong (same size, same placement); target within 10%.
- The native TCP floor (native/, C) vs sockperf, 64 B same core; target within 5%.
- MPI: the suite's small-message one-way latency vs ``mpiexec -n 2 python -m
  mpi4py.bench pingpong``; target within 15%.
- sockperf (C), where installed: the C-level TCP line; no target.

The two sides are run alternately ``ALTERNATIONS`` times and the best of each is
compared (median RTT for the hand-written loops; mean one-way for MPI, the only figure mpi4py.bench
prints): on a shared machine a single pair of runs mostly measures the neighbours.
Each benchmark's rounds are the suite's one-way latencies of its best run; the
figures and the ratio are in ``extra_info.metrics``.
"""

from __future__ import annotations

import numpy as np
import pytest

from commbench.results import label
from commbench.transports import TRANSPORTS, Unsupported
from commbench.transports.latency import record_samples
from commbench.transports.placement import placements
from commbench.transports.reference import (
    handwritten_rtt_ns,
    sockperf_available,
    sockperf_tcp_one_way_ns,
)

SIZE_BYTES = 64
COUNT = 5000
ALTERNATIONS = 3
SOCKPERF_COUNT = 2000


def _label(benchmark, subject: str, placement, reference: str, metrics: dict) -> None:
    benchmark.group = f"reference: {subject} vs {reference}"
    label(
        benchmark,
        family="reference",
        subject=subject,
        params={
            "size_bytes": SIZE_BYTES,
            "placement": placement.name,
            "path": "localhost",
            "reference": reference,
            "alternations": ALTERNATIONS,
        },
        metrics=metrics,
    )


HANDWRITTEN = {
    "tcp": "tcp",
    "uds": "uds",
    "udp": "udp",
    "zmq-reqrep-tcp": "zmq-tcp",
    "zmq-reqrep-ipc": "zmq-ipc",
}
"""Suite transport -> the kind of minimal hand-written loop it is compared with."""


@pytest.mark.parametrize("transport", list(HANDWRITTEN))
@pytest.mark.parametrize("placement", placements(spinning=False), ids=lambda p: p.name)
def test_against_handwritten_pingpong(benchmark, placement, transport: str) -> None:
    suite_runs, reference_p50 = [], []
    with TRANSPORTS[transport].open(placement, {}) as link:
        for _ in range(ALTERNATIONS):
            reference = handwritten_rtt_ns(
                HANDWRITTEN[transport],
                SIZE_BYTES,
                COUNT,
                client_cpu=placement.client_cpu,
                server_cpu=placement.peer_cpu,
            )
            reference_p50.append(float(np.median(reference)))
            suite_runs.append(link.measure(SIZE_BYTES, COUNT, 30.0))
    best = min(suite_runs, key=lambda r: np.median(r.rtt_ns))
    suite_p50 = float(np.median(best.rtt_ns))
    _label(
        benchmark,
        transport,
        placement,
        "hand-written Python ping-pong",
        {
            "suite_rtt_p50_ns": suite_p50,
            "reference_rtt_p50_ns": min(reference_p50),
            "ratio": suite_p50 / min(reference_p50),
        },
    )
    record_samples(benchmark, best.one_way_ns / 1e9)


def test_mpi_against_mpi4py_bench(benchmark, unsupported) -> None:
    from commbench.transports.mpi_reference import mpi4py_bench_pingpong

    name = "mpi-buffer-shm"
    placement = placements(spinning=True)[0]
    suite_runs, reference_means = [], []
    try:
        with TRANSPORTS[name].open(placement, {"sizes": [SIZE_BYTES]}) as link:
            for _ in range(ALTERNATIONS):
                reference_means.append(
                    mpi4py_bench_pingpong(SIZE_BYTES, COUNT, placement=placement)
                )
                suite_runs.append(link.measure(SIZE_BYTES, COUNT, 30.0))
    except Unsupported as exc:
        unsupported("reference", name, {"size_bytes": SIZE_BYTES}, str(exc))
    best = min(suite_runs, key=lambda r: np.mean(r.rtt_ns))
    suite_mean_ns = float(np.mean(best.one_way_ns))
    reference_ns = min(reference_means) * 1e9
    _label(
        benchmark,
        name,
        placement,
        "mpi4py.bench pingpong",
        {
            "suite_one_way_mean_ns": suite_mean_ns,
            "reference_one_way_mean_ns": reference_ns,
            "ratio": suite_mean_ns / reference_ns,
        },
    )
    record_samples(benchmark, best.one_way_ns / 1e9)


@pytest.mark.parametrize("size_bytes", [64, 4096, 65506])  # 65506: sockperf's largest
@pytest.mark.parametrize("placement", placements(spinning=False), ids=lambda p: p.name)
def test_tcp_against_sockperf(benchmark, unsupported, placement, size_bytes: int) -> None:
    """The C-level line: sockperf's TCP ping-pong beside the suite's (no target: the gap
    is what the Python interpreter costs)."""
    params = {"size_bytes": size_bytes, "placement": placement.name}
    if not sockperf_available():
        unsupported(
            "reference",
            "tcp-sockperf",
            params,
            "sockperf is not installed (Debian: apt-get install sockperf)",
        )
    reference = sockperf_tcp_one_way_ns(
        size_bytes, client_cpu=placement.client_cpu, server_cpu=placement.peer_cpu, seconds=1
    )
    with TRANSPORTS["tcp"].open(placement, {}) as link:
        suite = link.measure(size_bytes, SOCKPERF_COUNT, 30.0)
    suite_p50 = float(np.median(suite.one_way_ns))
    _label(
        benchmark,
        "tcp-sockperf",
        placement,
        "sockperf ping-pong (C)",
        {
            "suite_one_way_p50_ns": suite_p50,
            "reference_one_way_p50_ns": reference["p50_ns"],
            "ratio": suite_p50 / reference["p50_ns"],
        },
    )
    benchmark.extra_info["params"]["size_bytes"] = size_bytes
    record_samples(benchmark, suite.one_way_ns / 1e9)


def test_c_helper_against_sockperf(benchmark, unsupported) -> None:
    """The native TCP floor (native/pingpong_sock.c) beside sockperf, alternately, 64 B,
    same core: two C ping-pongs of the same thing, target within 5% (issue 11). Best of
    ``C_ALTERNATIONS`` p50s each: single sockperf runs here vary by up to 20%."""
    from commbench.transports.native import FLOORS, build

    placement = placements(spinning=False)[0]
    params = {"size_bytes": SIZE_BYTES, "placement": placement.name}
    c_helper, sockperf = (next(f for f in FLOORS["tcp"] if f.tool == t) for t in TOOLS)
    try:
        build()
        helper_runs, sockperf_p50 = [], []
        for _ in range(C_ALTERNATIONS):
            run = c_helper.run(placement, SIZE_BYTES, SOCKPERF_COUNT * 5, max_seconds=30.0)
            helper_runs.append(run)
            reference = sockperf.run(placement, SIZE_BYTES, SOCKPERF_COUNT * 5, seconds=1)
            sockperf_p50.append(float(np.median(reference.one_way_ns)))
    except Unsupported as exc:
        unsupported("reference", "tcp-c-helper", params, str(exc))
    best = min(helper_runs, key=lambda r: np.median(r.rtt_ns))
    helper_p50 = float(np.median(best.one_way_ns))
    _label(
        benchmark,
        "tcp-c-helper",
        placement,
        "sockperf ping-pong (C)",
        {
            "suite_one_way_p50_ns": helper_p50,
            "reference_one_way_p50_ns": min(sockperf_p50),
            "ratio": helper_p50 / min(sockperf_p50),
        },
    )
    record_samples(benchmark, best.one_way_ns / 1e9)


TOOLS = ("c-helper", "sockperf")
C_ALTERNATIONS = 5


RECV_CHUNK_SIZES_BYTES = (4096, 65536, 2**20)
RECV_CHUNKS_BYTES = (0, 1024)  # 0: one preallocated buffer (recv_into); 1024: recv(1024)


_RECV_CHUNK_RUNS: dict[tuple, dict[int, np.ndarray]] = {}


def _recv_chunk_runs(placement, size_bytes: int, count: int) -> dict[int, np.ndarray]:
    """Every reader of RECV_CHUNKS_BYTES, alternately; the best run (median) of each, RTT ns.
    Measured once for the benchmarks of all readers at this placement and size."""
    key = (placement, size_bytes, count)
    if key not in _RECV_CHUNK_RUNS:
        runs: dict[int, list[np.ndarray]] = {chunk: [] for chunk in RECV_CHUNKS_BYTES}
        for _ in range(ALTERNATIONS):
            for chunk in RECV_CHUNKS_BYTES:
                runs[chunk].append(
                    handwritten_rtt_ns(
                        "tcp",
                        size_bytes,
                        count,
                        client_cpu=placement.client_cpu,
                        server_cpu=placement.peer_cpu,
                        recv_chunk_bytes=chunk,
                    )
                )
        _RECV_CHUNK_RUNS[key] = {chunk: min(r, key=np.median) for chunk, r in runs.items()}
    return _RECV_CHUNK_RUNS[key]


@pytest.mark.parametrize("recv_chunk_bytes", RECV_CHUNKS_BYTES)
@pytest.mark.parametrize("size_bytes", RECV_CHUNK_SIZES_BYTES)
@pytest.mark.parametrize("placement", placements(spinning=False), ids=lambda p: p.name)
def test_tcp_recv_chunks(
    benchmark, request, placement, size_bytes: int, recv_chunk_bytes: int
) -> None:
    """Issue 15: what reading a big reply ``recv(1024)`` at a time costs against one large
    buffer (``recv_chunk_bytes`` 0, ``recv_into``), on the same hand-written TCP
    ping-pong, run alternately. Latency rows, one subject per reader (``tcp-recv1024``,
    ``tcp-recv-into``) so that tables keyed by subject keep them apart."""
    from commbench.stats import percentiles
    from commbench.transports.latency import round_trips_for

    count = round_trips_for(size_bytes, request.config.getoption("--profile"))
    best = _recv_chunk_runs(placement, size_bytes, count)
    one_way = best[recv_chunk_bytes] / 2
    benchmark.group = f"latency {size_bytes} B localhost: recv(1024) vs one buffer"
    subject = f"tcp-recv{recv_chunk_bytes}" if recv_chunk_bytes else "tcp-recv-into"
    label(
        benchmark,
        family="latency",
        subject=subject,
        params={
            "transport": subject,
            "size_bytes": size_bytes,
            "placement": placement.name,
            "client_cpu": placement.client_cpu,
            "peer_cpu": placement.peer_cpu,
            "path": "localhost",
            "recv_chunk_bytes": recv_chunk_bytes,
            "reader": "recv(N), joined" if recv_chunk_bytes else "recv_into one buffer",
            "alternations": ALTERNATIONS,
        },
        metrics={
            **{f"one_way_{k}_ns": v for k, v in percentiles(one_way).items() if k != "n"},
            "round_trips": int(one_way.size),
            "over_one_buffer_p50": float(np.median(best[recv_chunk_bytes]) / np.median(best[0])),
        },
    )
    record_samples(benchmark, one_way / 1e9)
