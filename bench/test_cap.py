"""CAP, measured: one row per (store, mode, scenario) of the profile.

Each row runs a 3-member cluster in network namespaces through a partition scenario
(before / during / heal / after) with one client per member, and stores its metrics:
availability per side and phase, stale reads, acknowledged writes lost after the heal,
recovery time and the linearizability checker's verdict. The history (JSON lines) is
saved under ``<benchmark storage>/cap-histories/`` and its path is in the row's params.
The timed region is the whole scenario, once (one round: a scenario is a measurement
of behaviour, not a speed to compare for significance).

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
    params = {"store": store, "mode": mode, "scenario": scenario, "history": str(path)}
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
    )
    benchmark.group = f"cap {store}"
    label(benchmark, family="cap", subject=store, params=params, metrics=found)
