"""Transport throughput: a stream of messages, counted where it arrives.

Each round is one run of ``stream_count`` messages; the result's rounds are the
runs' elapsed times. Messages that did not arrive are counted (``lost``), never
hidden, and a stream that stalls ends at its time limit.
"""

from __future__ import annotations

import numpy as np

from commbench.profiles import PROFILES
from commbench.results import label
from commbench.transports import Unsupported
from commbench.transports.cases import Case, stream_count
from commbench.transports.latency import record_samples


def test_throughput(benchmark, request, link_pool, unsupported, throughput_case: Case) -> None:
    case = throughput_case
    profile = request.config.getoption("--profile")
    knobs = PROFILES[profile]
    count = stream_count(case.size_bytes, profile)
    runs = []
    try:
        link = link_pool.get(case)
        for _ in range(knobs.throughput_runs):
            runs.append(link.stream(case.size_bytes, count, knobs.throughput_max_seconds))
    except Unsupported as exc:
        unsupported("throughput", case.transport.name, case.params(), str(exc))
    elapsed_s = np.array([r.elapsed_ns for r in runs]) / 1e9
    received = np.array([r.received for r in runs])
    received_bytes = np.array([r.received_bytes for r in runs])
    assert (received_bytes <= count * case.size_bytes).all()
    median = int(np.argsort(elapsed_s)[len(elapsed_s) // 2])
    benchmark.group = f"throughput {case.size_bytes} B {case.path}"
    label(
        benchmark,
        family="throughput",
        subject=case.transport.name,
        params={**case.params(), "messages_per_run": count, **_labels(link.info)},
        metrics={
            "messages_per_s": float(received[median] / elapsed_s[median]),
            "mb_per_s": float(received_bytes[median] / elapsed_s[median] / 1e6),
            "sent": int(count * len(runs)),
            "received": int(received.sum()),
            "lost": int(sum(r.lost for r in runs)),
            "timed_out_runs": int(sum(r.timed_out for r in runs)),
            **_per_subscriber(runs),
        },
    )
    record_samples(benchmark, elapsed_s)


def _per_subscriber(runs: list) -> dict:
    """Fan-out streams: what each subscriber lost, summed over the runs."""
    if not hasattr(runs[0], "lost_per_subscriber"):
        return {}
    lost = np.sum([r.lost_per_subscriber for r in runs], axis=0)
    return {f"lost_subscriber_{i}": int(x) for i, x in enumerate(lost)}


def _labels(info: dict) -> dict:
    return {k: v for k, v in info.items() if "pid" not in k}
