"""CAP, measured: one row per (store, mode, scenario) of the profile.

Each row runs a 3-member cluster in network namespaces through a partition scenario
(before / during / heal / after) with one client per member, and stores its metrics:
availability per side and phase, stale reads, acknowledged writes lost after the heal,
recovery time and the linearizability checker's verdict. The history (JSON lines) is
saved under ``<benchmark storage>/cap-histories/`` and its path is in the row's params.
The timed region is the whole scenario, once (one round: a scenario is a measurement
of behaviour, not a speed to compare for significance).

PBS rows (one per W of N=3, R=1): the latencies of a healthy Redis primary and its two
replicas feed PBS's t-visibility Monte-Carlo; the probability of a stale read t ms after a
write is then observed on the same cluster, W swept through ``WAIT``. One cluster serves
the three rows; each row times its own observation sweep.

A store that is not installed, not implemented yet, or no root: an unsupported row with
the reason; the other stores are still measured.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from commbench.cap.profile import PROFILES
from commbench.errors import UserError
from commbench.results import label


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cap_run" in metafunc.fixturenames:
        runs = PROFILES[metafunc.config.getoption("--profile")].runs
        metafunc.parametrize("cap_run", runs, ids=["-".join(r) for r in runs])


def history_dir(config: pytest.Config) -> Path:
    storage = str(config.getoption("benchmark_storage", None) or ".benchmarks")
    storage = storage.removeprefix("file://")
    return Path(storage) / "cap-histories"


def test_cap(benchmark, request, unsupported, cap_run: tuple[str, str, str]) -> None:
    from commbench.cap.clusters import STORES
    from commbench.cap.run import measure

    store, mode, scenario = cap_run
    profile_name = request.config.getoption("--profile")
    profile = PROFILES[profile_name]
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = history_dir(request.config) / f"{stamp}-{os.getpid()}-{store}-{mode}-{scenario}.jsonl"
    params = {
        "measure": "scenario",
        "store": store,
        "mode": mode,
        "scenario": scenario,
        "history": str(path),
    }
    if store not in STORES:
        unsupported("cap", store, params, f"{store} clusters are not implemented yet")
    found: dict = {}

    def once() -> None:
        found.update(measure(store, mode, scenario, profile, path)[0])

    try:
        benchmark.pedantic(once, rounds=1, iterations=1)
    except UserError as exc:
        unsupported("cap", store, params, str(exc))
    params.update(
        before_s=profile.before_s,
        during_s=profile.during_s,
        after_s=profile.after_s,
        rate_per_client=profile.rate_per_client,
        keys=profile.keys,
        op_timeout_s=profile.op_timeout_s,
    )
    benchmark.group = f"cap {store}"
    label(benchmark, family="cap", subject=store, params=params, metrics=found)


@pytest.fixture(scope="module")
def pbs_cluster(request):
    """A healthy async Redis cluster and its latency pools (once per module), or the
    UserError that stopped it."""
    from commbench.cap import pbs_redis
    from commbench.cap.clusters import RedisCluster
    from commbench.cap.netns import Network

    profile = PROFILES[request.config.getoption("--profile")]
    try:
        with Network(3) as net, RedisCluster(net, "async", profile.op_timeout_s) as cluster:
            yield cluster, pbs_redis.sample(cluster, profile.pbs_samples), None
    except UserError as exc:
        yield None, None, str(exc)


@pytest.mark.parametrize("w", [1, 2, 3])
def test_cap_pbs(benchmark, request, unsupported, pbs_cluster, w: int) -> None:
    from commbench.cap import pbs_redis

    cluster, result, error = pbs_cluster
    profile = PROFILES[request.config.getoption("--profile")]
    params = {"measure": "pbs", "n": 3, "r": 1, "w": w}
    if error is not None:
        unsupported("cap", "redis-pbs", params, error)
    benchmark.pedantic(
        lambda: pbs_redis.observe(cluster, result, w, profile.pbs_trials), rounds=1, iterations=1
    )
    row = pbs_redis.row(result, w)
    benchmark.group = "cap pbs"
    label(benchmark, family="cap", subject="redis-pbs", params={**params, **row["params"]},
          metrics=row["metrics"])  # fmt: skip
