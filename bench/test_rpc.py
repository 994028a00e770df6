"""RPC calls: closed-loop ping-pong latency for every framework x placement x payload.

The calls are timed by commbench.rpc.calls.closed_loop (one call in flight, every
call timed, every reply checked) and stored as this benchmark's rounds, so the
result file holds the whole latency distribution in seconds.
"""

from __future__ import annotations

import pytest

from commbench.results import label
from commbench.rpc import Unsupported
from commbench.rpc.calls import closed_loop
from commbench.rpc.cases import Case, latency_cases
from commbench.rpc.pool import ServerPool
from commbench.rpc.profile import profile as rpc_profile
from commbench.stats import percentiles
from commbench.transports.latency import record_samples

_CASES = pytest.StashKey[dict]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rpc_case" in metafunc.fixturenames:
        found = latency_cases(rpc_profile(metafunc.config.getoption("--profile")))
        metafunc.config.stash[_CASES] = {c.id: c for c in found}
        ids = [c.id for c in found]
        metafunc.parametrize("rpc_case", ids, ids=ids, indirect=True)


@pytest.fixture
def rpc_case(request: pytest.FixtureRequest) -> Case:
    return request.config.stash[_CASES][request.param]


@pytest.fixture(scope="module")
def server_pool():
    pool = ServerPool()
    yield pool
    pool.close()


def test_rpc_latency(benchmark, request, server_pool, unsupported, rpc_case: Case) -> None:
    case = rpc_case
    prof = rpc_profile(request.config.getoption("--profile"))
    params = case.params()
    try:
        pair = server_pool.get(case.framework.name, case.placement)
        bound = pair.client.bind(case.payload)
    except Unsupported as exc:
        unsupported("rpc", case.framework.name, params, str(exc))
    samples = closed_loop(
        bound,
        count=case.calls(prof),
        warmup=min(prof.warmup, case.calls(prof)),
        max_seconds=prof.max_seconds,
        server_cpu_s=pair.server.cpu_seconds,
    )
    assert samples.calls > 0, f"no call completed ({samples.failed} failed: {samples.errors})"
    benchmark.group = f"rpc {case.payload.name} {case.placement.name}"
    stats = percentiles(samples.latency_ns)
    client_cpu = samples.per_call(samples.client_cpu_s)
    server_cpu = samples.per_call(samples.server_cpu_s)
    cpu = (client_cpu or 0.0) + (server_cpu or 0.0)
    label(
        benchmark,
        family="rpc",
        subject=case.framework.name,
        params={**params, **pair.info},
        metrics={
            **{f"{k}_ns": v for k, v in stats.items() if k != "n"},
            "calls": samples.calls,
            "failed": samples.failed,
            "errors": samples.errors,
            "timed_out": samples.timed_out,
            "client_cpu_s_per_call": client_cpu,
            "server_cpu_s_per_call": server_cpu,
            "calls_per_cpu_s": 1.0 / cpu if cpu > 0 else None,
            "elapsed_s": samples.elapsed_s,
        },
    )
    record_samples(benchmark, samples.latency_ns / 1e9)
