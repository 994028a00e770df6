"""Transport latency: one-way = RTT / 2 for every transport x placement x size.

The round trips are timed by commbench.transports.latency.measure_rtt (in this
process, or in MPI rank 0) and stored as this benchmark's rounds, so the result
file holds the whole one-way distribution in seconds.
"""

from __future__ import annotations

from commbench.profiles import PROFILES
from commbench.results import label
from commbench.stats import percentiles
from commbench.transports import Unsupported
from commbench.transports.cases import Case
from commbench.transports.latency import record_samples, round_trips_for


def test_latency(benchmark, request, link_pool, unsupported, latency_case: Case) -> None:
    case = latency_case
    profile = request.config.getoption("--profile")
    if case.transport.max_size_bytes and case.size_bytes > case.transport.max_size_bytes:
        limit = case.transport.max_size_bytes
        reason = f"{case.size_bytes} B exceeds the transport's maximum of {limit} B"
        unsupported("latency", case.transport.name, case.params(), reason)
    try:
        link = link_pool.get(case)
        samples = link.measure(
            case.size_bytes,
            round_trips_for(case.size_bytes, profile),
            PROFILES[profile].latency_max_seconds,
        )
    except Unsupported as exc:
        unsupported("latency", case.transport.name, case.params(), str(exc))
    assert samples.rtt_ns.size > 0, f"no round trip completed ({samples.lost} lost)"
    assert (samples.rtt_ns > 0).all()
    one_way = samples.one_way_ns
    benchmark.group = f"latency {case.size_bytes} B {case.path}"
    label(
        benchmark,
        family="latency",
        subject=case.transport.name,
        params={**case.params(), **{k: v for k, v in link.info.items() if "pid" not in k}},
        metrics={
            **{f"one_way_{k}_ns": v for k, v in percentiles(one_way).items() if k != "n"},
            "round_trips": int(samples.rtt_ns.size),
            "lost": samples.lost,
            "timed_out": samples.timed_out,
        },
    )
    record_samples(benchmark, one_way / 1e9)
