"""Redis primary + 2 replicas + 3 Sentinels, the primary isolated (end to end, needs root):
with asynchronous replication the isolated primary keeps acknowledging writes, the
majority fails over, and the writes acknowledged on the minority side are lost."""

from __future__ import annotations

import os

import pytest

from commbench.cap import linearizability, metrics
from commbench.cap.clusters import RedisCluster
from commbench.cap.netns import PREFIX, Network, namespaces
from commbench.cap.workload import Scenario, run_scenario
from tests.processes import alive

pytestmark = [pytest.mark.privileged, pytest.mark.slow]


def test_isolated_async_primary_acknowledges_writes_that_are_lost() -> None:
    assert os.geteuid() == 0, "the cap end-to-end test needs root"
    with Network(3) as net, RedisCluster(net, "async") as cluster:
        pids = [p.pid for p in cluster.processes]
        data = cluster.tmp
        assert cluster.leader() == 0
        run = run_scenario(cluster, Scenario("leader-isolated", 1.5, 5.0, 3.0, 40.0))
    assert [n for n in namespaces() if n.startswith(f"{PREFIX}{os.getpid()}-")] == []
    assert not any(alive(pid) for pid in pids) and data is not None and not data.exists()
    assert run.sides == {0: "minority", 1: "majority", 2: "majority"}
    found = metrics.summarise(run.ops, run.heal_s)
    assert found["availability.minority.during"] > 0.9  # the old primary still says yes
    acked_minority = [
        o
        for o in run.ops
        if o.extra["side"] == "minority" and o.extra["phase"] == "during" and o.f == "write"
        and o.outcome == "ok" and o.key.startswith("u")
    ]  # fmt: skip
    assert acked_minority
    assert 0 < found["writes_lost"] <= found["writes_probed"]
    assert linearizability.check(run.ops).verdict == linearizability.VIOLATION
