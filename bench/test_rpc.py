"""RPC calls: closed-loop ping-pong latency for every framework x placement x payload.

The calls are timed by commbench.rpc.calls.closed_loop (one call in flight, every
call timed, every reply checked) and stored as this benchmark's rounds, so the
result file holds the whole latency distribution in seconds.
"""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest

from commbench.corpus import GENERATORS, compact_json_size
from commbench.corpus.sweep import sweep_payload
from commbench.results import label
from commbench.rpc import FRAMEWORKS, Unsupported
from commbench.rpc.byref import ACCESS, crossover_bytes, expected, make_object, passing, shared_copy
from commbench.rpc.calls import closed_loop
from commbench.rpc.cases import (
    Case,
    LoadCase,
    latency_cases,
    load_cases,
    rpc_payloads,
    rpc_placements,
    spots,
)
from commbench.rpc.faults import KINDS, POLICIES, FaultPlan, run_fault
from commbench.rpc.loadgen import closed_loop_load, open_loop
from commbench.rpc.marshal import codec_ns
from commbench.rpc.pool import ServerPool, close_all, open_pair
from commbench.rpc.profile import RpcProfile
from commbench.rpc.profile import profile as rpc_profile
from commbench.rpc.reference import handwritten_grpc_p50_ns, verdict
from commbench.rpc.tls import make_tls
from commbench.stats import percentiles
from commbench.transports.latency import record_samples

_CASES = pytest.StashKey[dict]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    prof = rpc_profile(metafunc.config.getoption("--profile"))
    peer = metafunc.config.getoption("--peer")
    for name, make in (("rpc_case", latency_cases), ("rpc_load_case", load_cases)):
        if name in metafunc.fixturenames:
            found = make(prof, peer)
            metafunc.config.stash.setdefault(_CASES, {}).update({c.id: c for c in found})
            ids = [c.id for c in found]
            metafunc.parametrize(name, ids, ids=ids, indirect=True)
    if peer:  # LAN: calls, load and faults against the peer's servers; the rest: loopback
        for name in ("rpc_byref_case", "rpc_tls_case"):
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, [], ids=[])
        if "rpc_fault_case" in metafunc.fixturenames:
            ids = fault_cases(prof)
            metafunc.parametrize("rpc_fault_case", ids, ids=ids)
        return
    if "rpc_byref_case" in metafunc.fixturenames:
        ids = [f"{f}-{a}" for f in prof.byref_frameworks for a in ACCESS]
        metafunc.parametrize("rpc_byref_case", ids, ids=ids)
    if "rpc_tls_case" in metafunc.fixturenames:
        ids = [f"{f}-{'tls' if on else 'plain'}" for f in prof.tls_frameworks
               for on in (False, True)]  # fmt: skip
        metafunc.parametrize("rpc_tls_case", ids, ids=ids)
    if "rpc_fault_case" in metafunc.fixturenames:
        ids = fault_cases(prof)
        metafunc.parametrize("rpc_fault_case", ids, ids=ids)


def _split_fault_case(case_id: str) -> tuple[str, str, str]:
    for kind in KINDS:
        framework, sep, policy = case_id.partition(f"-{kind}-")
        if sep:
            return framework, kind, policy
    raise ValueError(f"not a fault case: {case_id}")


@pytest.fixture
def rpc_case(request: pytest.FixtureRequest) -> Case:
    return request.config.stash[_CASES][request.param]


@pytest.fixture
def rpc_load_case(request: pytest.FixtureRequest) -> LoadCase:
    return request.config.stash[_CASES][request.param]


@pytest.fixture(scope="module")
def server_pool(request: pytest.FixtureRequest):
    pool = ServerPool(request.config.getoption("--peer"))
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
            "server_cpu_s_per_call": None
            if result.server_cpu_s is None
            else result.server_cpu_s / attempts,
            "elapsed_s": result.elapsed_s,
        },
    )
    record_samples(benchmark, result.latency_ns / 1e9)


# ------------------------------------------------------------------ references

ALTERNATIONS = 3
"""Suite and reference run alternately this many times; the best of each is compared
(on a shared machine one pair of runs mostly measures the neighbours)."""


def _reference_label(benchmark, subject: str, params: dict, metrics: dict, tolerance: float):
    ratio = metrics["suite_p50_ns"] / metrics["reference_p50_ns"]
    benchmark.group = f"rpc reference: {subject} vs {params['reference']}"
    label(
        benchmark,
        family="rpc",
        subject=subject,
        params={
            **params,
            "measure": "reference",
            "alternations": ALTERNATIONS,
            "tls": False,
            "concurrency": 1,
        },
        metrics={
            **metrics,
            "ratio": ratio,
            "tolerance": tolerance,
            "verdict": verdict(ratio, tolerance),
        },
    )


def test_rpc_reference_grpc(benchmark, request, server_pool, unsupported) -> None:
    """gRPC unary call against a minimal hand-written grpcio client and server (10%)."""
    if request.config.getoption("--peer"):
        pytest.skip("LAN run: the references are measured on loopback only")
    prof = rpc_profile(request.config.getoption("--profile"))
    placement = rpc_placements(prof)[-1]
    payload = GENERATORS["rpc"](0)
    params = {"framework": "grpc", "payload": "rpc", "placement": placement.name,
              "size_bytes": compact_json_size(payload.value),
              "reference": "hand-written grpcio client and server"}  # fmt: skip
    server_pool.close()  # no other server running beside the two compared
    try:
        pair = open_pair("grpc", placement)
    except Unsupported as exc:
        unsupported("rpc", "grpc", params, str(exc))
    suite_runs, reference_p50 = [], []
    try:
        bound = pair.client.bind(payload)
        for _ in range(ALTERNATIONS):
            reference_p50.append(
                handwritten_grpc_p50_ns(
                    "rpc",
                    prof.reference_calls,
                    client_cpu=placement.client_cpu,
                    server_cpu=placement.peer_cpu,
                )
            )
            suite_runs.append(
                closed_loop(bound, count=prof.reference_calls, warmup=100, max_seconds=30.0)
            )
    finally:
        pair.client.close()
        pair.server.stop()
        os.sched_setaffinity(0, server_pool._affinity)
    best = min(suite_runs, key=lambda r: float(np.median(r.latency_ns)))
    metrics = {"suite_p50_ns": float(np.median(best.latency_ns)),
               "reference_p50_ns": min(reference_p50), "calls": best.calls}  # fmt: skip
    _reference_label(benchmark, "grpc", params, metrics, tolerance=0.10)
    record_samples(benchmark, best.latency_ns / 1e9)


@pytest.mark.parametrize("payload_name", ["rpc", "sweep-10KB"])
def test_rpc_reference_tcp(benchmark, request, server_pool, payload_name: str) -> None:
    """The raw TCP call against a TCP round trip of its size plus one echo's codec work (20%)."""
    from commbench.rpc.msgpack_call import packb
    from commbench.transports import TRANSPORTS

    if request.config.getoption("--peer"):
        pytest.skip("LAN run: the references are measured on loopback only")
    prof = rpc_profile(request.config.getoption("--profile"))
    placement = rpc_placements(prof)[-1]
    payload = rpc_payloads(prof).get(payload_name) or sweep_payload(10_000)
    request_bytes = len(packb([1, "Echo", payload.value]))
    server_pool.close()
    suite_runs, rtt_p50, codec = [], [], []
    pair = open_pair("tcp", placement)
    try:
        bound = pair.client.bind(payload)
        with TRANSPORTS["tcp"].open(placement, {}) as link:
            for _ in range(ALTERNATIONS):
                rtt = link.measure(request_bytes, prof.reference_calls, 30.0)
                rtt_p50.append(float(np.median(rtt.rtt_ns)))
                codec.append(codec_ns("msgpack", payload, max_seconds=0.3)["codec_ns"])
                suite_runs.append(
                    closed_loop(bound, count=prof.reference_calls, warmup=100, max_seconds=30.0)
                )
    finally:
        pair.client.close()
        pair.server.stop()
        os.sched_setaffinity(0, server_pool._affinity)
    best = min(suite_runs, key=lambda r: float(np.median(r.latency_ns)))
    metrics = {
        "suite_p50_ns": float(np.median(best.latency_ns)),
        "reference_p50_ns": min(rtt_p50) + min(codec),
        "tcp_rtt_p50_ns": min(rtt_p50),
        "codec_ns": min(codec),
        "request_bytes": request_bytes,
        "calls": best.calls,
    }
    params = {"framework": "tcp", "payload": payload.name, "placement": placement.name,
              "size_bytes": compact_json_size(payload.value),
              "reference": "TCP round trip + codec work of one echo"}  # fmt: skip
    _reference_label(benchmark, "tcp", params, metrics, tolerance=0.20)
    record_samples(benchmark, best.latency_ns / 1e9)


# ------------------------------------------------------------------ faults


def fault_cases(prof: RpcProfile) -> list[str]:
    """Case ids ``framework-kind-policy`` for the profile's fault frameworks."""
    return [
        f"{framework}-{kind}-{policy}"
        for framework in prof.fault_frameworks
        for kind in KINDS
        for policy in POLICIES
        if policy != "grpc-retry" or framework.startswith("grpc")
    ]


def test_rpc_faults(benchmark, request, server_pool, unsupported, rpc_fault_case: str) -> None:
    """Calls while the server is SIGKILLed and restarted, or SIGSTOPped and continued."""
    framework, kind, policy = _split_fault_case(rpc_fault_case)
    prof = rpc_profile(request.config.getoption("--profile"))
    peer = request.config.getoption("--peer")
    where, path = spots(prof, peer)
    placement = where[-1]
    payload = GENERATORS["rpc"](0)
    seconds = prof.fault_seconds
    plan = FaultPlan(kind, policy, seconds=seconds, fault_at_s=seconds / 4, hold_s=seconds / 5)
    params = {"framework": framework, "payload": "rpc", "placement": placement.name,
              "size_bytes": compact_json_size(payload.value), "measure": "faults",
              "fault": kind, "retry_policy": policy, "tls": False, "concurrency": 1,
              "seconds": plan.seconds, "hold_s": plan.hold_s,
              "attempt_timeout_s": plan.attempt_timeout_s,
              "max_attempts": plan.max_attempts if policy == "app-retry" else 1,
              "path": path}  # fmt: skip
    server_pool.close()
    os.sched_setaffinity(0, {placement.client_cpu})
    try:
        result = run_fault(framework, payload, plan, server_cpu=placement.peer_cpu, peer=peer)
    except Unsupported as exc:
        unsupported("rpc", framework, params, str(exc))
    finally:
        os.sched_setaffinity(0, server_pool._affinity)
    metrics = result.metrics()
    assert metrics["calls"] > 0
    benchmark.group = f"rpc faults {kind}"
    label(benchmark, family="rpc", subject=framework, params=params, metrics=metrics)
    latencies = result.latencies_ns()
    assert latencies.size > 0, f"no call succeeded: {metrics['errors']}"
    record_samples(benchmark, latencies / 1e9)


# ------------------------------------------------------------------ by value vs by reference


def test_rpc_byref(benchmark, request, server_pool, unsupported, rpc_byref_case: str) -> None:
    """Read(object or handle, fraction) over the size sweep, by value and by reference.

    One row per framework x access pattern: the p50 of each mode at each size, and the
    crossover size where the reference wins (commbench.rpc.byref.crossover_bytes). Its
    rounds are the by-reference calls at the largest size.
    """
    framework, _, access = rpc_byref_case.rpartition("-")
    prof = rpc_profile(request.config.getoption("--profile"))
    placement = rpc_placements(prof)[-1]
    sizes = list(prof.byref_sizes_bytes)
    params = {"framework": framework, "placement": placement.name, "measure": "by-reference",
              "access": access, "fraction": ACCESS[access], "sizes_bytes": sizes,
              "reference_kind": "multiprocessing.shared_memory", "tls": False,
              "concurrency": 1}  # fmt: skip
    server_pool.close()
    try:
        pair = open_pair(framework, placement)
    except Unsupported as exc:
        unsupported("rpc", framework, params, str(exc))
    p50 = {"value": [], "reference": []}
    calls = {"value": [], "reference": []}
    last = None
    try:
        for size in sizes:
            data = make_object(size)
            want = expected(data, access)
            with shared_copy(data) as segment:
                for mode in ("value", "reference"):
                    bound = pair.client.bind_read(
                        passing(mode, data, segment), ACCESS[access], want
                    )
                    result = closed_loop(bound, count=prof.byref_calls, warmup=3,
                                         max_seconds=prof.byref_seconds)  # fmt: skip
                    assert result.calls > 0, f"{mode} {size} B: {result.errors}"
                    p50[mode].append(float(np.median(result.latency_ns)))
                    calls[mode].append(result.calls)
                    last = result
            del data
    finally:
        pair.client.close()
        pair.server.stop()
        os.sched_setaffinity(0, server_pool._affinity)
    benchmark.group = f"rpc by reference {access}"
    label(
        benchmark,
        family="rpc",
        subject=framework,
        params={**params, **pair.info},
        metrics={
            "value_p50_ns": p50["value"],
            "reference_p50_ns": p50["reference"],
            "value_calls": calls["value"],
            "reference_calls": calls["reference"],
            "crossover_bytes": crossover_bytes(sizes, p50["value"], p50["reference"]),
        },
    )
    record_samples(benchmark, last.latency_ns / 1e9)


# ------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def tls_material(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(material, where it comes from, the user's error or None).

    The user's files (``--rpc-tls-cert/--rpc-tls-key/--rpc-tls-ca``), checked first:
    unreadable or mismatched material is one line on stderr and a user error of the run
    (exit status 2), and the TLS cases are unsupported rows; the rest is still measured.
    Without them, a private CA and a certificate for 127.0.0.1 made for this run (trustme).
    """
    from commbench.errors import UserError
    from commbench.pytest_plugin import USER_ERRORS
    from commbench.rpc.tls import USER_OPTIONS, user_tls

    given = {k: request.config.getoption(f"--rpc-tls-{k}") for k in USER_OPTIONS}
    try:
        mine = user_tls(**given)
    except UserError as exc:
        if str(exc) not in request.config.stash[USER_ERRORS]:  # commbench run found it first
            sys.stderr.write(f"commbench: error: {exc}\n")
            request.config.stash[USER_ERRORS].append(str(exc))
        return None, "given by the user (unusable)", str(exc)
    if mine is not None:
        return mine, "given by the user (--rpc-tls-cert/-key/-ca)", None
    return make_tls(tmp_path_factory.mktemp("rpc-tls")), "trustme CA, made at run time", None


def _own_server_closed_loop(
    server_pool, unsupported, framework: str, placement, options: dict, payload, prof, params
):
    """The pooled servers stopped, a server of *framework* with *options* of its own, the
    closed loop of the profile on *payload*, then that server stopped: (pair, samples).
    A server that cannot start is an unsupported row with *params*."""
    server_pool.close()
    try:
        pair = open_pair(framework, placement, options)
    except Unsupported as exc:
        unsupported("rpc", framework, params, str(exc))
    try:
        bound = pair.client.bind(payload)
        samples = closed_loop(bound, count=prof.calls, warmup=prof.warmup,
                              max_seconds=prof.max_seconds,
                              server_cpu_s=pair.server.cpu_seconds)  # fmt: skip
    finally:
        pair.client.close()
        pair.server.stop()
        os.sched_setaffinity(0, server_pool._affinity)
    assert samples.calls > 0, f"no call completed: {samples.errors}"
    return pair, samples


def test_rpc_tls(benchmark, request, server_pool, unsupported, tls_material, rpc_tls_case: str):
    """The same calls with TLS off and on (gRPC over HTTP/2, Connect, JSON-RPC over HTTP/1.1)."""
    framework, _, mode = rpc_tls_case.rpartition("-")
    on = mode == "tls"
    material, source, problem = tls_material
    prof = rpc_profile(request.config.getoption("--profile"))
    placement = rpc_placements(prof)[-1]
    payload = GENERATORS["rpc"](0)
    params = {"framework": framework, "encoding": FRAMEWORKS[framework].encoding,
              "payload": "rpc", "size_bytes": compact_json_size(payload.value),
              "placement": placement.name, "measure": "tls", "tls": on,
              "certificates": source if on else None,
              "concurrency": 1, "connections": 1}  # fmt: skip
    if on and problem:
        unsupported("rpc", framework, params, f"TLS material: {problem}")
    pair, samples = _own_server_closed_loop(
        server_pool, unsupported, framework, placement, {"tls": material} if on else {},
        payload, prof, params,
    )  # fmt: skip
    stats = percentiles(samples.latency_ns)
    benchmark.group = f"rpc tls {framework}"
    label(
        benchmark,
        family="rpc",
        subject=framework,
        params={**params, **pair.info},
        metrics={
            **{f"{k}_ns": v for k, v in stats.items() if k != "n"},
            "calls": samples.calls,
            "failed": samples.failed,
            "client_cpu_s_per_call": samples.per_call(samples.client_cpu_s),
            "server_cpu_s_per_call": samples.per_call(samples.server_cpu_s),
        },
    )
    record_samples(benchmark, samples.latency_ns / 1e9)


# ------------------------------------------------------------------ compression

COMPRESSION_FRAMEWORKS = ("connect-proto", "connect-json")
COMPRESSION_PAYLOADS = ("rpc", "sweep-10KB")


def _message_bytes(framework: str, payload) -> tuple[int, int]:
    """(bytes of the request message as the framework's codec writes it, gzipped)."""
    import gzip

    from google.protobuf import json_format

    from commbench.rpc.proto_call import call_message

    message, _ = call_message(payload)
    if FRAMEWORKS[framework].encoding == "json":
        encoded = json_format.MessageToJson(message, indent=None).encode()
    else:
        encoded = message.SerializeToString()
    return len(encoded), len(gzip.compress(encoded, 6))  # Connect's gzip level


@pytest.mark.parametrize("gzip_on", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("payload_name", COMPRESSION_PAYLOADS)
@pytest.mark.parametrize("framework", COMPRESSION_FRAMEWORKS)
def test_rpc_compression(
    benchmark, request, server_pool, unsupported, framework: str, payload_name: str,
    gzip_on: bool,
) -> None:  # fmt: skip
    """Connect JSON against Connect protobuf with and without gzip on the wire: the
    lecture's "JSON, sent whole and not compressed" taken at its word."""
    prof = rpc_profile(request.config.getoption("--profile"))
    if request.config.getoption("--peer"):
        pytest.skip("compression is measured on loopback only")
    placement = rpc_placements(prof)[-1]
    payload = rpc_payloads(prof).get(payload_name) or sweep_payload(10_000)
    message_bytes, gzip_bytes = _message_bytes(framework, payload)
    params = {"framework": framework, "encoding": FRAMEWORKS[framework].encoding,
              "payload": payload_name, "size_bytes": compact_json_size(payload.value),
              "placement": placement.name, "measure": "compression",
              "compression": "gzip" if gzip_on else "none",
              "concurrency": 1, "connections": 1}  # fmt: skip
    options = {"compression": "gzip"} if gzip_on else {}
    pair, samples = _own_server_closed_loop(
        server_pool, unsupported, framework, placement, options, payload, prof, params
    )
    assert pair.client.info["compression"] == params["compression"]
    stats = percentiles(samples.latency_ns)
    benchmark.group = f"rpc compression {payload_name}"
    label(
        benchmark,
        family="rpc",
        subject=framework,
        params={**params, **pair.info},
        metrics={
            **{f"{k}_ns": v for k, v in stats.items() if k != "n"},
            "calls": samples.calls,
            "failed": samples.failed,
            "message_bytes": message_bytes,
            "wire_message_bytes": gzip_bytes if gzip_on else message_bytes,
            "client_cpu_s_per_call": samples.per_call(samples.client_cpu_s),
        },
    )
    record_samples(benchmark, samples.latency_ns / 1e9)
