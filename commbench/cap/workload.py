"""The workload: one client per member namespace, reads / writes / compare-and-set on a few
keys at a bounded rate, across the phases of a fault scenario; every operation recorded.

Each client is a thread that entered its member's namespace (so a partition cuts the
client with its member) and talks to that member. Operations carry invoke and completion
times of one monotonic clock (``time.monotonic`` of this process, seconds from the run's
start) and an outcome: ``ok``, ``fail`` (refused, a definite error, or a compare-and-set
whose comparison failed) or ``unknown`` (a timeout or a connection lost after sending).
Written values are unique (``<client>-<n>``), so a read names the write it saw.

A :class:`Scenario` is phases ``before`` / ``during`` / ``after`` of bounded length and a
fault applied at the start of ``during`` and healed at the start of ``after``; the fault
returns each member's side (``minority`` / ``majority``). After the last phase each key
is read once more through every member ("final reads", linearizable where the store can)
to count acknowledged writes lost after the heal.

Lost writes are counted on write-once keys too (Jepsen's set workload in register form):
a share of the writes goes to a fresh key ``u<client>-<n>``; after the heal every such key
is read once (through the first member of the majority side); an acknowledged one that
reads back empty or different was lost.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commbench.cap import history as hist
from commbench.cap.clusters import Cluster, Failed, Indefinite
from commbench.cap.history import Op
from commbench.cap.netns import Network, enter

PHASES = ("before", "during", "after")

Fault = Callable[[Network, Cluster], dict[int, str]]
"""Apply a fault; return member index -> side label."""


def isolate_member(member: int) -> Fault:
    def fault(net: Network, cluster: Cluster) -> dict[int, str]:
        net.isolate(member)
        return {i: "minority" if i == member else "majority" for i in range(net.n)}

    return fault


def _leader(cluster: Cluster) -> int:
    leader = cluster.leader()
    return 0 if leader is None else leader


def _one_out(member: int, n: int) -> dict[int, str]:
    return {i: "minority" if i == member else "majority" for i in range(n)}


def isolate_leader(net: Network, cluster: Cluster) -> dict[int, str]:
    return isolate_member(_leader(cluster))(net, cluster)


def isolate_follower(net: Network, cluster: Cluster) -> dict[int, str]:
    """The majority/minority split that keeps the leader with the majority."""
    leader = _leader(cluster)
    return isolate_member(next(i for i in range(net.n) if i != leader))(net, cluster)


def leader_link_down(net: Network, cluster: Cluster) -> dict[int, str]:
    """The leader (primary) cut off from everyone: its link set down."""
    member = _leader(cluster)
    net.link_down(member)
    return _one_out(member, net.n)


def kill_leader(net: Network, cluster: Cluster) -> dict[int, str]:
    """SIGKILL the leader's (primary's) store process; restarted at the heal."""
    member = _leader(cluster)
    cluster.kill_member(member)
    return _one_out(member, net.n)


def pause_leader(net: Network, cluster: Cluster) -> dict[int, str]:
    """SIGSTOP the leader's (primary's) store process; SIGCONT at the heal."""
    member = _leader(cluster)
    cluster.pause_member(member)
    return _one_out(member, net.n)


FAULTS: dict[str, Fault] = {
    "member1-isolated": isolate_member(0),
    "leader-isolated": isolate_leader,
    "follower-isolated": isolate_follower,
    "leader-link-down": leader_link_down,
    "leader-killed": kill_leader,
    "leader-paused": pause_leader,
}
"""Scenario fault name -> fault; the heal is :meth:`Network.heal` then :meth:`Cluster.heal`
(restart a killed member, continue a paused one). The member the fault hits is the
``minority`` side; for a kill or a pause its client keeps calling its own member."""

FAULT_TEXT: dict[str, str] = {
    "member1-isolated": "member 1 cut from the others by blackhole routes",
    "leader-isolated": "the leader (primary) cut from the others by blackhole routes",
    "follower-isolated": "a follower (replica) cut off: the leader keeps a majority",
    "leader-link-down": "the leader's (primary's) link set down",
    "leader-killed": "the leader's (primary's) process SIGKILLed, restarted at the heal",
    "leader-paused": "the leader's (primary's) process SIGSTOPped, SIGCONT at the heal",
}
"""Scenario fault name -> what it does, for captions."""


@dataclass(frozen=True)
class Scenario:
    fault: str
    before_s: float = 3.0
    during_s: float = 6.0
    after_s: float = 8.0
    rate_per_client: float = 40.0  # operations per second, at most
    keys: int = 3
    mix: tuple[float, float, float] = (0.5, 0.3, 0.2)  # read, write, cas
    unique_share: float = 0.25  # of the writes, to a write-once key (the lost-write probe)
    seed: int = 0


@dataclass
class Run:
    """What one scenario run produced."""

    ops: list[Op]
    sides: dict[int, str]
    partition_s: float
    heal_s: float
    end_s: float


class _Recorder:
    def __init__(self, start: float) -> None:
        self.start = start
        self.lock = threading.Lock()
        self.ops: list[Op] = []

    def now(self) -> float:
        return time.monotonic() - self.start

    def add(self, o: Op) -> None:
        with self.lock:
            self.ops.append(o)


def perform(
    client: Any,
    recorder: _Recorder,
    process: int,
    key: str,
    f: str,
    value: Any,
    **extra: Any,
) -> Op:
    """Do one operation on *client*, record it and return it."""
    invoke = recorder.now()
    outcome, result, error = "ok", value, None
    try:
        if f == "read":
            result = client.read(key)
        elif f == "write":
            client.write(key, value)
        else:
            if not client.cas(key, value[0], value[1]):
                outcome = "fail"  # the comparison failed: answered, no effect
    except Failed as exc:
        outcome, error = "fail", str(exc)
    except Indefinite as exc:
        outcome, error = "unknown", str(exc)
    except Exception as exc:  # a client library's surprise: recorded, the client goes on
        outcome, error = "unknown", f"unexpected {type(exc).__name__}: {exc}"
    complete = recorder.now()
    if error is not None:
        extra["error"] = error[:200]
    o = hist.op(process, key, f, result, invoke, complete, outcome, **extra)
    recorder.add(o)
    return o


def _client_loop(
    cluster: Cluster,
    member: int,
    scenario: Scenario,
    recorder: _Recorder,
    end_s: float,
    stop: threading.Event,
) -> None:
    enter(cluster.network.members[member])
    rng = random.Random(scenario.seed * 1000 + member)
    client = cluster.client(member)
    keys = [f"k{i}" for i in range(scenario.keys)]
    last: dict[str, str | None] = {}
    interval = 1.0 / scenario.rate_per_client
    counter = 0
    try:
        next_at = recorder.now()
        while not stop.is_set() and recorder.now() < end_s:
            key = rng.choice(keys)
            f = rng.choices(("read", "write", "cas"), weights=scenario.mix)[0]
            counter += 1
            value: Any = None
            if f == "write":
                value = f"{member}-{counter}"
                if rng.random() < scenario.unique_share:
                    key = f"u{member}-{counter}"
            elif f == "cas":
                value = (last.get(key), f"{member}-{counter}")
            o = perform(client, recorder, member, key, f, value, node=member)
            if o.outcome == "ok":
                last[key] = o.value if f != "cas" else o.value[1]
            next_at = max(next_at + interval, recorder.now())
            delay = next_at - recorder.now()
            if delay > 0:
                stop.wait(delay)
    finally:
        client.close()


def run_scenario(cluster: Cluster, scenario: Scenario, history_path: Path | None = None) -> Run:
    """Run *scenario* against a started *cluster*; the history is saved to *history_path*."""
    net = cluster.network
    start = time.monotonic()
    recorder = _Recorder(start)
    partition_s = scenario.before_s
    heal_s = partition_s + scenario.during_s
    end_s = heal_s + scenario.after_s
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(cluster, m, scenario, recorder, end_s, stop),
            name=f"cap-client-{m}",
            daemon=True,
        )
        for m in range(net.n)
    ]
    sides = {m: "all" for m in range(net.n)}
    try:
        for t in threads:
            t.start()
        _sleep_until(recorder, partition_s, stop)
        sides = FAULTS[scenario.fault](net, cluster)
        partition_s = recorder.now()  # the phases start once the fault (heal) is in place
        _sleep_until(recorder, heal_s, stop)
        net.heal()
        cluster.heal()
        heal_s = recorder.now()
        _sleep_until(recorder, end_s, stop)
    finally:
        net.heal()
        cluster.heal()
        stop.set()
        for t in threads:
            t.join(cluster.op_timeout_s * 3 + 5)
    final_reads(cluster, recorder, [m for m, side in sides.items() if side == "majority"])
    ops = sorted(recorder.ops, key=lambda o: o.invoke_s)
    ops = [_label(o, sides, partition_s, heal_s) for o in ops]
    run = Run(ops, sides, partition_s, heal_s, recorder.now())
    if history_path is not None:
        hist.save(ops, history_path)
    return run


def _sleep_until(recorder: _Recorder, at_s: float, stop: threading.Event) -> None:
    delay = at_s - recorder.now()
    if delay > 0:
        stop.wait(delay)


FINAL_READS_WITHIN_S = 15.0


def is_unique_key(key: str) -> bool:
    return key.startswith("u")


def final_reads(cluster: Cluster, recorder: _Recorder, majority: list[int]) -> None:
    """Read the workload's keys through every member, and the write-once keys through the
    first majority member, with the store's strongest read, retrying (every attempt
    recorded) until one succeeds or FINAL_READS_WITHIN_S has passed."""
    keys = sorted({o.key for o in recorder.ops})
    shared = [k for k in keys if not is_unique_key(k)]
    unique = [k for k in keys if is_unique_key(k)]
    deadline = recorder.now() + FINAL_READS_WITHIN_S
    prober = majority[0] if majority else 0

    def read_all(member: int) -> None:
        enter(cluster.network.members[member])
        client = cluster.final_client(member)
        try:
            for key in shared + (unique if member == prober else []):
                while recorder.now() < deadline:
                    o = perform(
                        client, recorder, 100 + member, key, "read", None, node=member, final=True
                    )
                    if o.outcome == "ok":
                        break
                    time.sleep(0.1)
        finally:
            client.close()

    threads = [
        threading.Thread(target=read_all, args=(m,), daemon=True) for m in range(cluster.network.n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(FINAL_READS_WITHIN_S + cluster.op_timeout_s + 5)


def _label(o: Op, sides: dict[int, str], partition_s: float, heal_s: float) -> Op:
    phase = "before" if o.invoke_s < partition_s else "during" if o.invoke_s < heal_s else "after"
    extra = dict(o.extra)
    extra.setdefault("phase", "final" if extra.get("final") else phase)
    extra["side"] = sides.get(int(extra.get("node", -1)), "all")
    return Op(o.process, o.key, o.f, o.value, o.invoke_s, o.complete_s, o.outcome, extra)
