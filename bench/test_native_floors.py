"""Native floors: every latency case of bench/test_latency.py measured again without Python.

For each transport x placement x size of the latency family, every tool of
:data:`commbench.transports.native.FLOORS` (the C helpers of ``native/``, sockperf and
qperf for TCP and UDP) runs the same ping-pong, pinned the same way. Rows are family
``floor``, subject the suite's transport name, with the latency rows' params (transport,
placement, size_bytes, path, ...) plus ``tool`` and ``library_version``, so that
:func:`commbench.transports.native.interpreter_share` can join them with the Python
figures of the same run. The stream floors (C helper, iperf3) run for the TCP and UDS
throughput cases as family ``floor-stream``.
"""

from __future__ import annotations

import numpy as np
import pytest

from commbench.machine import libzmq_version
from commbench.results import label
from commbench.stats import percentiles
from commbench.transports import Unsupported
from commbench.transports.cases import Case, cases, stream_count
from commbench.transports.latency import record_samples, round_trips_for
from commbench.transports.native import (
    FLOORS,
    PROFILES,
    STREAM_FLOORS,
    FloorError,
    build,
    floors_for,
)


def _floor_cases(kind: str, profile: str) -> list[tuple[Case, str]]:
    """(case, tool) pairs: every tool of the case's transport; one "none" row without any."""
    knobs = PROFILES[profile]
    registry = FLOORS if kind == "latency" else STREAM_FLOORS
    pairs = []
    for case in cases(kind, profile):
        if kind == "throughput" and case.transport.name not in registry:
            continue
        tools = [f.tool for f in registry.get(case.transport.name, ())] or ["none"]
        for tool in tools:
            limited = tool in ("sockperf", "qperf") and knobs.reference_sizes_bytes is not None
            if limited and case.size_bytes not in knobs.reference_sizes_bytes:
                continue
            pairs.append((case, tool))
    return pairs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = metafunc.config.getoption("--profile")
    for kind in ("latency", "throughput"):
        if f"floor_{kind}_case" in metafunc.fixturenames:
            # floors are measured on this machine only
            found = [] if metafunc.config.getoption("--peer") else _floor_cases(kind, profile)
            ids = [f"{case.id}-{tool}" for case, tool in found]
            metafunc.parametrize(f"floor_{kind}_case", found, ids=ids)


@pytest.fixture(scope="module")
def built() -> str:
    """Build the helpers once (make is a no-op when they are up to date); the reason if not."""
    try:
        build()
    except Unsupported as exc:
        return str(exc)
    return ""


def _params(case: Case, tool: str, info: dict) -> dict:
    params = {**case.params(), "tool": tool}
    params |= {k: v for k, v in info.items() if "pid" not in k}
    if case.transport.name.startswith("zmq") and tool == "c-helper":
        params["suite_libzmq"] = libzmq_version()  # what the Python side links
    params.setdefault("library_version", "")
    return params


def test_latency_floor(benchmark, request, unsupported, built, floor_latency_case) -> None:
    case, tool = floor_latency_case
    profile = request.config.getoption("--profile")
    knobs = PROFILES[profile]
    name = case.transport.name
    params = {**case.params(), "tool": tool}
    try:
        floor = next(f for f in floors_for(name) if f.tool == tool)
        if built and tool == "c-helper":
            raise Unsupported(built)
        if floor.max_size_bytes and case.size_bytes > floor.max_size_bytes:
            raise Unsupported(
                f"{case.size_bytes} B exceeds {tool}'s maximum of {floor.max_size_bytes} B"
            )
        batch = [
            (c.size_bytes, round_trips_for(c.size_bytes, profile))
            for c in cases("latency", profile)
            if c.transport.name == name and c.placement == case.placement
        ]
        samples = floor.run(
            case.placement,
            case.size_bytes,
            round_trips_for(case.size_bytes, profile),
            max_seconds=knobs.max_seconds,
            batch=batch,
            seconds=knobs.reference_seconds,
        )
    except Unsupported as exc:
        unsupported("floor", name, params, str(exc))
    except FloorError as exc:
        pytest.fail(f"{name} floor ({tool}): {exc}")
    one_way = samples.one_way_ns
    assert one_way.size > 0 and (one_way > 0).all()
    if samples.per_round_trip:
        metrics = {f"one_way_{k}_ns": v for k, v in percentiles(one_way).items() if k != "n"}
        metrics |= {"round_trips": int(one_way.size), "lost": samples.lost}
    else:  # qperf: a mean per run, no distribution
        metrics = {"one_way_mean_ns": float(np.mean(one_way)), "runs": int(one_way.size)}
    benchmark.group = f"floor {case.size_bytes} B {case.path}"
    label(
        benchmark,
        family="floor",
        subject=name,
        params=_params(case, tool, samples.info),
        metrics=metrics,
    )
    record_samples(benchmark, one_way / 1e9)


def test_stream_floor(benchmark, request, unsupported, built, floor_throughput_case) -> None:
    case, tool = floor_throughput_case
    profile = request.config.getoption("--profile")
    knobs = PROFILES[profile]
    name = case.transport.name
    count = stream_count(case.size_bytes, profile)
    params = {**case.params(), "tool": tool, "messages_per_run": count}
    try:
        floor = next(f for f in STREAM_FLOORS[name] if f.tool == tool)
        if built and tool == "c-helper":
            raise Unsupported(built)
        runs = [
            floor.run(case.placement, case.size_bytes, count, max_seconds=knobs.max_seconds)
            for _ in range(knobs.stream_runs)
        ]
    except Unsupported as exc:
        unsupported("floor-stream", name, params, str(exc))
    except FloorError as exc:
        pytest.fail(f"{name} stream floor ({tool}): {exc}")
    elapsed_s = np.array([r.elapsed_ns for r in runs]) / 1e9
    received_bytes = np.array([r.received_bytes for r in runs])
    assert (elapsed_s > 0).all() and (received_bytes > 0).all()
    median = int(np.argsort(elapsed_s)[len(elapsed_s) // 2])
    benchmark.group = f"floor stream {case.size_bytes} B {case.path}"
    label(
        benchmark,
        family="floor-stream",
        subject=name,
        params={**params, **runs[median].info},
        metrics={
            "mb_per_s": float(received_bytes[median] / elapsed_s[median] / 1e6),
            "messages_per_s": float(received_bytes[median] / case.size_bytes / elapsed_s[median]),
            "sent_bytes": int(count * case.size_bytes * len(runs)),
            "received_bytes": int(received_bytes.sum()),
        },
    )
    record_samples(benchmark, elapsed_s)
