"""Process faults on a 3-member etcd (end to end, needs root): the leader SIGKILLed and
restarted at the heal, the leader SIGSTOPped and continued at the heal. In linearizable
mode neither loses an acknowledged write or breaks linearizability; the killed member is
a new process after the heal and serves again; nothing is left behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from commbench.cap import linearizability, metrics
from commbench.cap.clusters import EtcdCluster
from commbench.cap.netns import PREFIX, Network, namespaces
from commbench.cap.workload import FAULTS, Scenario, run_scenario
from tests.processes import alive

pytestmark = [pytest.mark.privileged, pytest.mark.slow]


def state(pid: int, want: str) -> str:
    """The process state letter, waited for (bounded) until it is *want*."""
    for _ in range(100):
        with open(f"/proc/{pid}/stat") as f:
            letter = f.read().rsplit(")", 1)[1].split()[0]
        if letter == want:
            break
        time.sleep(0.01)
    return letter


@pytest.mark.parametrize("fault", ["leader-killed", "leader-paused"])
def test_a_process_fault_on_the_leader_heals_without_losing_writes(fault: str) -> None:
    assert os.geteuid() == 0, "the cap end-to-end test needs root"
    with Network(3) as net, EtcdCluster(net, "linearizable") as cluster:
        leader = cluster.leader()
        assert leader is not None
        before = cluster.store_processes[leader]
        if fault == "leader-paused":
            sides = FAULTS[fault](net, cluster)
            assert state(before.pid, "T") == "T"  # stopped
            cluster.heal()
            assert state(before.pid, "S") in "SR"
            assert sides[leader] == "minority"
        run = run_scenario(cluster, Scenario(fault, 1.5, 4.0, 6.0, 30.0))
        after = cluster.store_processes[run_leader(run)]
        if fault == "leader-killed":
            assert after is not before and before.poll() == -signal.SIGKILL
            assert after.poll() is None  # restarted, and running
        pids = [p.pid for p in cluster.processes]
        data = cluster.tmp
    assert [n for n in namespaces() if n.startswith(f"{PREFIX}{os.getpid()}-")] == []
    assert not any(alive(pid) for pid in pids) and data is not None and not data.exists()
    found = metrics.summarise(run.ops, run.heal_s)
    assert found["availability.minority.during"] < 0.5  # its own member did not answer
    assert found["availability.minority.after"] > 0.5  # and does again after the heal
    assert found["writes_probed"] > 0 and found["writes_lost"] == 0
    assert found["stale_reads"] == 0
    assert linearizability.check(run.ops).verdict == linearizability.OK


def run_leader(run) -> int:
    return next(m for m, side in run.sides.items() if side == "minority")


def test_closing_with_a_fault_in_place_ends_everything() -> None:
    assert os.geteuid() == 0, "the cap end-to-end test needs root"
    with Network(3) as net, EtcdCluster(net, "linearizable") as cluster:
        restarted: list[int] = []
        cluster.restart_member = restarted.append  # type: ignore[method-assign]
        cluster.pause_member(0)
        cluster.kill_member(1)
        assert state(cluster.store_processes[0].pid, "T") == "T"
        pids = [p.pid for p in cluster.processes]
        started = time.monotonic()
    # no restart of the killed member, and the paused one ended without the SIGKILL grace
    assert restarted == [] and time.monotonic() - started < 4.0
    assert not any(alive(pid) for pid in pids)
    assert [n for n in namespaces() if n.startswith(f"{PREFIX}{os.getpid()}-")] == []
