"""One cap measurement: a cluster in namespaces, one scenario, its metrics and verdict."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from commbench.cap import linearizability, metrics
from commbench.cap.clusters import STORES
from commbench.cap.netns import Network
from commbench.cap.profile import CapProfile
from commbench.cap.workload import FAULTS, Run, Scenario, run_scenario
from commbench.errors import UserError


def scenario_for(fault: str, profile: CapProfile, seed: int = 0) -> Scenario:
    if fault not in FAULTS:
        raise UserError(f"cap: no scenario {fault!r} ({', '.join(FAULTS)})")
    return Scenario(
        fault,
        before_s=profile.before_s,
        during_s=profile.during_s,
        after_s=profile.after_s,
        rate_per_client=profile.rate_per_client,
        keys=profile.keys,
        seed=seed,
    )


def measure(
    store: str, mode: str, fault: str, profile: CapProfile, history_path: Path | None
) -> tuple[dict[str, Any], dict[str, Any], Run]:
    """Run *fault* on a fresh 3-member *store* cluster in *mode*: (metrics, info, run).

    info holds the store's version, its start time and the checker's summary."""
    if store not in STORES:
        raise UserError(f"cap: no store {store!r} ({', '.join(STORES)})")
    scenario = scenario_for(fault, profile)
    started = time.monotonic()
    with Network(3) as net, STORES[store](net, mode, profile.op_timeout_s) as cluster:
        ready_s = time.monotonic() - started
        run = run_scenario(cluster, scenario, history_path)
        version = cluster.version()
    verdict = linearizability.check(run.ops, budget_steps=profile.checker_budget_steps)
    found = metrics.summarise(run.ops, run.heal_s)
    found.update({f"checker.{k}": v for k, v in verdict.summary().items()})
    found["cluster_ready_s"] = ready_s
    found["partition_s"] = run.partition_s
    found["heal_s"] = run.heal_s
    found["end_s"] = run.end_s
    found["timeline"] = metrics.timeline(run.ops)
    found["checker.witness"] = [o.to_json() for o in verdict.minimal]
    info = {
        "version": version,
        "sides": {str(k): v for k, v in run.sides.items()},
        "witness": [o.to_json() for o in verdict.minimal],
    }
    return found, info, run
