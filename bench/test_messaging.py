"""Messaging middleware, OpenMessaging-style: publish and end-to-end latency, throughput,
and the crash matrix with its ledger, for every system and mode of the profile.

Each row is one stream (commbench.messaging.stream): broker, producer and consumer as
separate pinned processes, timed on the host's one monotonic clock. The result's rounds
are the stream's per-message latencies (end-to-end or publish); a crash row's rounds are
its end-to-end latencies under the fault. Every crash row carries its exact books
(sent, acknowledged, delivered, duplicated, reordered, lost) and points to its
per-message records (JSON lines) in ``params["ledger_records"]``, under the ledger
directory: ``--ledger-dir``, else ``<result file>.ledgers`` beside the
``--benchmark-json`` file, else ``ledgers/<run id>`` under the result storage
(``commbench run``), else ``.benchmarks/ledgers/<UTC time>``. ``--messaging-profile``
chooses this family's profile (``tiny`` included) over ``--profile``.

Also: the maximum sustainable rate and latency at fractions of it
(:mod:`commbench.messaging.maxrate`), the MPI rank kill
(:mod:`commbench.messaging.rankkill`), and, with ``--peer``, LAN rows whose broker runs on
the peer (:mod:`commbench.messaging.remote`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from commbench.messaging import Unsupported
from commbench.messaging.modes import MODES, Mode
from commbench.messaging.profile import PROFILES, MessagingProfile
from commbench.messaging.stream import StreamResult, StreamSpec, run_stream
from commbench.results import label
from commbench.stats import percentiles
from commbench.transports.latency import record_samples

FAMILY = "messaging"
LATENCY_MEASURES = ("e2e-latency", "publish-latency")


def _profile(config: pytest.Config) -> MessagingProfile:
    name = config.getoption("--messaging-profile") or config.getoption("--profile")
    return PROFILES[name]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = _profile(metafunc.config)
    if "messaging_latency_case" in metafunc.fixturenames:
        found = [
            (m, s, measure)
            for m in profile.latency_modes
            for s in profile.latency_sizes_bytes
            for measure in LATENCY_MEASURES
        ]
        metafunc.parametrize(
            "messaging_latency_case", found, ids=[f"{m}-{s}B-{x}" for m, s, x in found]
        )
    if "messaging_throughput_case" in metafunc.fixturenames:
        found = [(m, s) for m in profile.throughput_modes for s in profile.throughput_sizes_bytes]
        metafunc.parametrize(
            "messaging_throughput_case", found, ids=[f"{m}-{s}B" for m, s in found]
        )
    if "pullers" in metafunc.fixturenames:
        metafunc.parametrize(
            "pullers", profile.pullers, ids=[f"{n}-pullers" for n in profile.pullers]
        )
    if "lan_case" in metafunc.fixturenames:
        lan = metafunc.config.getoption("--peer")
        found = (
            [(m, s) for m in profile.lan_modes for s in profile.latency_sizes_bytes] if lan else []
        )
        metafunc.parametrize("lan_case", found, ids=[f"{m}-{s}B-lan" for m, s in found])
    if "rate_mode" in metafunc.fixturenames:
        metafunc.parametrize("rate_mode", profile.rate_modes, ids=list(profile.rate_modes))
    if "rate_latency_case" in metafunc.fixturenames:
        found = [(m, f) for m in profile.rate_modes for f in profile.rate_search.fractions]
        metafunc.parametrize(
            "rate_latency_case", found, ids=[f"{m}-{f:g}-of-max" for m, f in found]
        )
    if "rank_kill_case" in metafunc.fixturenames:
        found = [
            (n, policy, victim)
            for n in profile.rank_kill_ranks
            for policy in profile.rank_kill_policies
            for victim in profile.rank_kill_victims
        ]
        metafunc.parametrize(
            "rank_kill_case", found, ids=[f"{n}-ranks-{p}-{v}" for n, p, v in found]
        )
    if "messaging_crash_case" in metafunc.fixturenames:
        found = [(m, f) for m in profile.crash_modes for f in profile.crash_faults]
        found += [(m, "power-cut") for m in profile.powercut_modes]
        metafunc.parametrize("messaging_crash_case", found, ids=[f"{m}-{f}" for m, f in found])


@pytest.fixture(scope="session")
def ledger_root(request: pytest.FixtureRequest) -> Path:
    chosen = request.config.getoption("--ledger-dir")
    result_json = request.config.getoption("benchmark_json", None)
    if chosen:
        root = Path(chosen)
    elif result_json is not None:
        # a Path (pytest-benchmark's type); a file object's .name is its path
        path = Path(result_json if isinstance(result_json, str | os.PathLike) else result_json.name)
        root = path.with_name(path.stem + ".ledgers")
    elif request.config.getoption("benchmark_save", None):
        # commbench run: beside the result files, named for the run (its --benchmark-save)
        storage = str(request.config.getoption("benchmark_storage", None) or ".benchmarks")
        storage = storage.removeprefix("file://")
        root = Path(storage) / "ledgers" / str(request.config.getoption("benchmark_save"))
    else:
        root = Path(".benchmarks") / "ledgers" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    root.mkdir(parents=True, exist_ok=True)
    return root


_FAILED_BROKERS: dict[str, str] = {}
_LAST: dict[tuple, StreamResult] = {}


def _stream(spec: StreamSpec, directory: Path, key: tuple) -> StreamResult:
    """Run *spec* (once for the measures that share it); a broker that failed is not retried."""
    if key in _LAST:
        return _LAST[key]
    broker = spec.mode.broker
    if broker in _FAILED_BROKERS:
        raise Unsupported(_FAILED_BROKERS[broker])
    try:
        result = run_stream(spec, directory)
    except Unsupported as exc:
        if broker is not None and str(exc).startswith(f"{broker}:"):
            _FAILED_BROKERS[broker] = str(exc)
        raise
    _LAST.clear()
    _LAST[key] = result
    return result


def _flags(flags: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(flags.items())) or "-"


def _params(result: StreamResult, measure: str, root: Path) -> dict:
    broker = dict(result.broker)
    broker["broker_flags"] = _flags(broker.get("broker_flags") or {})
    return {
        **result.spec.params(),
        **broker,
        "measure": measure,
        "ledger_records": str(result.directory.relative_to(root.parent))
        if result.directory.is_relative_to(root.parent)
        else str(result.directory),
    }


def _latency_metrics(samples_ns: np.ndarray) -> dict:
    if samples_ns.size == 0:
        return {}
    p = percentiles(samples_ns, (50, 90, 99, 99.9))
    return {f"{k}_ns": v for k, v in p.items() if k != "n"}


def _metrics(result: StreamResult) -> dict:
    ledger = result.ledger
    return {
        **ledger.metrics(),
        "timed_out": result.timed_out,
        "errors": result.errors,
        "duration_s": result.duration_s,
        "planned_messages": result.planned_messages,
        "broker_start_s": result.broker_start_s,
        "messages_per_s": result.throughput_msgs_per_s,
        "mb_per_s": result.throughput_msgs_per_s * result.spec.size_bytes / 1e6,
    }


def _check_books(result: StreamResult) -> None:
    ledger = result.ledger
    assert ledger.balanced, f"books do not balance: {ledger.failures}"
    assert ledger.unexpected == 0


def _run_or_unsupported(unsupported, mode: Mode, params: dict, spec, directory, key):
    try:
        return _stream(spec, directory, key)
    except Unsupported as exc:
        unsupported(FAMILY, mode.system, params, str(exc))


def test_messaging_latency(
    benchmark, request, unsupported, ledger_root, messaging_latency_case
) -> None:
    key, size, measure = messaging_latency_case
    profile = _profile(request.config)
    mode = MODES[key]
    spec = StreamSpec(
        mode,
        size_bytes=size,
        count=profile.latency_messages,
        rate_per_s=profile.latency_rate_per_s,
        max_seconds=max(10.0, 3 * profile.latency_messages / profile.latency_rate_per_s),
    )
    params = {**spec.params(), "measure": measure}
    directory = ledger_root / f"latency-{mode.system}-{mode.mode}-{size}B"
    result = _run_or_unsupported(unsupported, mode, params, spec, directory, (key, size))
    _check_books(result)
    samples = result.e2e_ns if measure == "e2e-latency" else result.publish_ns
    assert samples.size > 0, f"no {measure} sample ({result.errors})"
    benchmark.group = f"messaging {measure} {size} B"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_params(result, measure, ledger_root),
        metrics={**_metrics(result), **_latency_metrics(samples)},
    )
    record_samples(benchmark, samples / 1e9)


def test_messaging_throughput(
    benchmark, request, unsupported, ledger_root, messaging_throughput_case
):
    key, size = messaging_throughput_case
    profile = _profile(request.config)
    mode = MODES[key]
    spec = StreamSpec(
        mode,
        size_bytes=size,
        count=1_000_000,
        rate_per_s=0.0,
        max_seconds=profile.throughput_seconds,
    )
    params = {**spec.params(), "measure": "throughput"}
    directory = ledger_root / f"throughput-{mode.system}-{mode.mode}-{size}B"
    result = _run_or_unsupported(unsupported, mode, params, spec, directory, (key, size, "tp"))
    _check_books(result)
    assert result.ledger.distinct > 0, f"nothing delivered ({result.errors})"
    benchmark.group = f"messaging throughput {size} B"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_params(result, "throughput", ledger_root),
        metrics={**_metrics(result), **_latency_metrics(result.e2e_ns)},
    )
    record_samples(benchmark, np.array([result.duration_s]))


def test_messaging_crash(
    benchmark, request, unsupported, ledger_root, messaging_crash_case
) -> None:
    key, fault = messaging_crash_case
    profile = _profile(request.config)
    mode = MODES[key]
    spec = StreamSpec(
        mode,
        size_bytes=profile.crash_size_bytes,
        count=profile.crash_messages,
        rate_per_s=profile.crash_rate_per_s,
        fault=fault,
        down_s=profile.crash_down_s,
    )
    params = {**spec.params(), "measure": "crash"}
    if not mode.applies(fault):
        unsupported(FAMILY, mode.system, params, "not applicable: no broker to crash")
    directory = ledger_root / f"crash-{mode.system}-{mode.mode}-{fault}"
    result = _run_or_unsupported(unsupported, mode, params, spec, directory, (key, fault))
    _check_books(result)
    benchmark.group = f"messaging crash {fault}"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_params(result, "crash", ledger_root),
        metrics={
            **_metrics(result),
            **_latency_metrics(result.e2e_ns),
            **result.drain,
            "fault_events": result.events,
            "timeline": result.timeline,
        },
    )
    samples = result.e2e_ns if result.e2e_ns.size else np.array([int(result.duration_s * 1e9)])
    record_samples(benchmark, samples / 1e9)


def test_messaging_pullers(benchmark, request, unsupported, ledger_root, pullers: int) -> None:
    """ZeroMQ PUSH/PULL with 1, 2 and 4 pullers: the share of the stream each one gets."""
    profile = _profile(request.config)
    mode = MODES["zmq/push-pull"]
    spec = StreamSpec(
        mode, count=profile.pullers_messages, rate_per_s=profile.crash_rate_per_s, consumers=pullers
    )
    params = {**spec.params(), "measure": "pullers"}
    directory = ledger_root / f"pullers-{pullers}"
    result = _run_or_unsupported(unsupported, mode, params, spec, directory, ("pullers", pullers))
    _check_books(result)
    assert len(result.shares) == pullers and sum(result.shares) == result.ledger.received
    benchmark.group = "messaging pullers"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_params(result, "pullers", ledger_root),
        metrics={
            **_metrics(result),
            **_latency_metrics(result.e2e_ns),
            **{
                f"share_puller_{i}": n / max(1, result.ledger.received)
                for i, n in enumerate(result.shares)
            },
            "deliveries_per_puller": result.shares,
        },
    )
    record_samples(benchmark, result.e2e_ns / 1e9)


def test_messaging_mpi_rank_kill(
    benchmark, request, unsupported, ledger_root, rank_kill_case
) -> None:
    """The lecture's "MPI is not fault tolerant": one rank of a streaming job SIGKILLed;
    what the survivors see and how long the job takes to end (bounded: a time-out)."""
    from commbench.messaging.rankkill import RankKillSpec, run_rank_kill

    ranks, policy, victim = rank_kill_case
    profile = _profile(request.config)
    spec = RankKillSpec(
        ranks=ranks,
        cleanup=policy,
        victim=0 if victim == "producer" else -1,
        rate_per_s=profile.crash_rate_per_s,
        size_bytes=profile.crash_size_bytes,
        limit_s=profile.rank_kill_limit_s,
    )
    directory = ledger_root / f"rank-kill-{ranks}-{policy}-{victim}"
    try:
        result = run_rank_kill(spec, directory)
    except Unsupported as exc:
        unsupported(FAMILY, "mpi", spec.params(), str(exc), missing="not installed" in str(exc))
    assert len(result.outcomes) == ranks - 1
    assert result.timed_out or result.exit_code is not None
    benchmark.group = "messaging rank-kill"
    records = (
        str(directory.relative_to(ledger_root.parent))
        if directory.is_relative_to(ledger_root.parent)
        else str(directory)
    )
    label(
        benchmark,
        family=FAMILY,
        subject="mpi",
        params={**spec.params(), "ledger_records": records},
        metrics=result.metrics(),
    )
    record_samples(benchmark, np.array([result.abort_s]))


_MAX_RATES: dict[str, object] = {}


def _max_rate(unsupported, key: str, profile: MessagingProfile, root: Path):
    """The search for *key*, run once per session (the rate-latency rows read it)."""
    from commbench.messaging.maxrate import find_max_rate

    mode = MODES[key]
    bounds = profile.rate_search
    params = {**mode.params(), "measure": "max-rate", "size_bytes": bounds.size_bytes}
    if key not in _MAX_RATES:
        broker = mode.broker
        if broker in _FAILED_BROKERS:
            unsupported(FAMILY, mode.system, params, _FAILED_BROKERS[broker])
        try:
            _MAX_RATES[key] = find_max_rate(
                mode, bounds, root / f"max-rate-{mode.system}-{mode.mode}"
            )
        except Unsupported as exc:
            if broker is not None and str(exc).startswith(f"{broker}:"):
                _FAILED_BROKERS[broker] = str(exc)
            unsupported(FAMILY, mode.system, params, str(exc))
    return _MAX_RATES[key]


def _rate_params(mode: Mode, profile: MessagingProfile, measure: str, root: Path) -> dict:
    bounds = profile.rate_search
    return {
        **mode.params(),
        "measure": measure,
        "size_bytes": bounds.size_bytes,
        "trial_s": bounds.trial_s,
        "p99_bound_ms": bounds.p99_bound_ms,
        "min_pace": bounds.min_pace,
        "search_trials": bounds.trials,
        "search_retries": bounds.retries,
        "ledger_records": str(root.name) + f"/max-rate-{mode.system}-{mode.mode}",
    }


def test_messaging_max_rate(benchmark, request, unsupported, ledger_root, rate_mode) -> None:
    """OpenMessaging's maximum sustainable rate: the highest paced publish rate at which
    the producer keeps its pace, the consumer keeps up and e2e p99 stays under the bound."""
    profile = _profile(request.config)
    mode = MODES[rate_mode]
    found = _max_rate(unsupported, rate_mode, profile, ledger_root)
    trials = found.trials
    bounds = profile.rate_search
    assert 0 < sum(t.attempt == 1 for t in trials) <= bounds.trials
    assert len(trials) <= bounds.trials * (1 + bounds.retries)
    sustained = [t.rate_per_s for t in trials if t.sustained]
    assert found.max_rate_per_s == (max(sustained) if sustained else None)
    benchmark.group = "messaging max-rate"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_rate_params(mode, profile, "max-rate", ledger_root),
        metrics=found.metrics(),
    )
    record_samples(benchmark, np.array([profile.rate_search.trial_s] * len(trials)))


def test_messaging_rate_latency(
    benchmark, request, unsupported, ledger_root, rate_latency_case
) -> None:
    """End-to-end latency at a fixed fraction of the mode's maximum sustainable rate."""
    from commbench.messaging.maxrate import judge, paced_spec

    key, fraction = rate_latency_case
    profile = _profile(request.config)
    mode = MODES[key]
    found = _max_rate(unsupported, key, profile, ledger_root)
    params = {**_rate_params(mode, profile, "rate-latency", ledger_root), "fraction": fraction}
    if found.max_rate_per_s is None:
        unsupported(
            FAMILY,
            mode.system,
            params,
            f"sustains no rate down to {profile.rate_search.low_per_s:g} msg/s",
        )
    rate = fraction * found.max_rate_per_s
    spec = paced_spec(mode, rate, profile.rate_search)
    directory = ledger_root / f"rate-latency-{mode.system}-{mode.mode}-{fraction:g}"
    result = _run_or_unsupported(
        unsupported, mode, params, spec, directory, (key, "rate", fraction)
    )
    _check_books(result)
    assert result.e2e_ns.size > 0, f"nothing delivered ({result.errors})"
    trial = judge(result, rate, profile.rate_search)
    benchmark.group = f"messaging rate-latency {fraction:g}"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params={**params, **_params(result, "rate-latency", ledger_root)},
        metrics={
            **_metrics(result),
            **_latency_metrics(result.e2e_ns),
            "max_rate_per_s": found.max_rate_per_s,
            "achieved_per_s": trial.achieved_per_s,
            "sustained": trial.sustained,
            "reason": trial.reason,
        },
    )
    record_samples(benchmark, result.e2e_ns / 1e9)


def test_messaging_lan_latency(benchmark, request, unsupported, ledger_root, lan_case) -> None:
    """With --peer: the broker runs on the LAN peer (`commbench peer` starts it there),
    producer and consumer here; paced end-to-end latency through the network."""
    key, size = lan_case
    profile = _profile(request.config)
    mode = MODES[key]
    spec = StreamSpec(
        mode,
        size_bytes=size,
        count=profile.latency_messages,
        rate_per_s=profile.latency_rate_per_s,
        max_seconds=max(10.0, 3 * profile.latency_messages / profile.latency_rate_per_s),
        peer=request.config.getoption("--peer"),
    )
    params = {**spec.params(), "measure": "e2e-latency"}
    if mode.broker is None:
        unsupported(FAMILY, mode.system, params, "not applicable: no broker to put on the peer")
    directory = ledger_root / f"lan-{mode.system}-{mode.mode}-{size}B"
    result = _run_or_unsupported(unsupported, mode, params, spec, directory, (key, size, "lan"))
    _check_books(result)
    assert result.e2e_ns.size > 0, f"nothing delivered ({result.errors})"
    assert result.broker.get("broker_on") == "peer"
    benchmark.group = f"messaging e2e-latency {size} B lan"
    label(
        benchmark,
        family=FAMILY,
        subject=mode.system,
        params=_params(result, "e2e-latency", ledger_root),
        metrics={**_metrics(result), **_latency_metrics(result.e2e_ns)},
    )
    record_samples(benchmark, result.e2e_ns / 1e9)
