"""RPC calls: closed-loop ping-pong latency for every framework x placement x payload.

The calls are timed by commbench.rpc.calls.closed_loop (one call in flight, every
call timed, every reply checked) and stored as this benchmark's rounds, so the
result file holds the whole latency distribution in seconds.
"""

from __future__ import annotations

import gc

import pytest

from commbench.results import label
from commbench.rpc import Unsupported
from commbench.rpc.calls import closed_loop
from commbench.rpc.cases import Case, LoadCase, latency_cases, load_cases
from commbench.rpc.loadgen import closed_loop_load, open_loop
from commbench.rpc.marshal import codec_ns
from commbench.rpc.pool import ServerPool, close_all
from commbench.rpc.profile import profile as rpc_profile
from commbench.stats import percentiles
from commbench.transports.latency import record_samples

_CASES = pytest.StashKey[dict]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    prof = rpc_profile(metafunc.config.getoption("--profile"))
    for name, make in (("rpc_case", latency_cases), ("rpc_load_case", load_cases)):
        if name in metafunc.fixturenames:
            found = make(prof)
            metafunc.config.stash.setdefault(_CASES, {}).update({c.id: c for c in found})
            ids = [c.id for c in found]
            metafunc.parametrize(name, ids, ids=ids, indirect=True)


@pytest.fixture
def rpc_case(request: pytest.FixtureRequest) -> Case:
    return request.config.stash[_CASES][request.param]


@pytest.fixture
def rpc_load_case(request: pytest.FixtureRequest) -> LoadCase:
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
    gc.collect()
    gc.freeze()  # what the suite holds is not scanned by the collections the calls cause
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
    codec = codec_ns(case.framework.codec, case.payload, max_seconds=prof.codec_seconds)
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
            **codec,
            "marshalling_share": codec["codec_ns"] / stats["p50"],
        },
    )
    record_samples(benchmark, samples.latency_ns / 1e9)


_MAX_CALLS_PER_S: dict[tuple[str, str], float] = {}
"""Framework x placement -> the most calls/s the concurrency sweep measured (open loop's base)."""


def test_rpc_load(benchmark, request, server_pool, unsupported, rpc_load_case: LoadCase) -> None:
    case = rpc_load_case
    prof = rpc_profile(request.config.getoption("--profile"))
    params = case.params()
    key = (case.framework.name, case.placement.name)
    try:
        pair = server_pool.get(case.framework.name, case.placement)
        n = case.concurrency or max(prof.concurrency)
        clients = pair.more_clients(n)
    except Unsupported as exc:
        unsupported("rpc", case.framework.name, params, str(exc))
    try:
        bounds = [c.bind(case.payload) for c in clients]
        if case.concurrency is not None:
            result = closed_loop_load(
                bounds, seconds=prof.load_seconds, server_cpu_s=pair.server.cpu_seconds
            )
            _MAX_CALLS_PER_S[key] = max(_MAX_CALLS_PER_S.get(key, 0.0), result.calls_per_s)
            extra = {"concurrency": n}
        else:
            if key not in _MAX_CALLS_PER_S:  # run alone: measure the maximum first
                found = closed_loop_load(bounds, seconds=prof.load_seconds / 2)
                _MAX_CALLS_PER_S[key] = found.calls_per_s
            rate = prof.open_loop_fraction * _MAX_CALLS_PER_S[key]
            result = open_loop(
                bounds,
                rate_per_s=rate,
                seconds=prof.load_seconds,
                server_cpu_s=pair.server.cpu_seconds,
            )
            extra = {
                "concurrency": n,
                "rate_per_s": rate,
                "rate_fraction_of_max": prof.open_loop_fraction,
                "max_calls_per_s": _MAX_CALLS_PER_S[key],
            }
    finally:
        close_all(clients, pair.client)
    assert result.calls > 0, f"no call completed ({result.failed} failed: {result.errors})"
    stats = percentiles(result.latency_ns)
    attempts = result.calls + result.failed
    benchmark.group = f"rpc load {case.payload.name} {case.placement.name}"
    label(
        benchmark,
        family="rpc",
        subject=case.framework.name,
        params={
            **params,
            **extra,
            "connections": pair.connections(n),
            "client_kind": "threads sharing one channel"
            if case.framework.multiplexed
            else "threads, one connection each",
            **pair.info,
        },
        metrics={
            **{f"{k}_ns": v for k, v in stats.items() if k != "n"},
            "calls": result.calls,
            "failed": result.failed,
            "errors": result.errors,
            "calls_per_s": result.calls_per_s,
            "late_calls": result.late_calls,
            "client_cpu_s_per_call": result.client_cpu_s / attempts,
            "server_cpu_s_per_call": (result.server_cpu_s or 0.0) / attempts,
            "elapsed_s": result.elapsed_s,
        },
    )
    record_samples(benchmark, result.latency_ns / 1e9)
